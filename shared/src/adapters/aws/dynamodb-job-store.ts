import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { ConflictError, NotFoundError, UnavailableError, ValidationError } from '../../domain/errors.ts';
import type { Job, JobChanges, JobExpectation, JsonValue } from '../../domain/job.ts';
import type { JobStatus } from '../../domain/job-status.ts';
import { ulidRangeOf } from '../../domain/ids.ts';
import type { CreatedBetweenQuery, IdempotencyRecord, JobListQuery, JobPage, JobStore } from '../../ports/job-store.ts';
import type { WebhookDelivery } from '../../domain/webhook-delivery.ts';
import { idempotencyItemKey, idempotencyRecordOf, idempotentPutConflict, idempotentPutItems } from './idempotency-items.ts';
import { JOBS_TABLE } from './jobs-table.ts';
import { webhookDeliveryPut } from './webhook-deliveries-table.ts';

/** Where a job's webhook deliveries go when a write ends it, and who is told they are due. */
export interface JobOutbox {
  table: string;
  /** Called after the write committed; best effort (the dispatcher's sweep finds what it missed). */
  announce?: (deliveries: readonly WebhookDelivery[]) => Promise<void>;
}

/** BatchGetItem reads at most 100 keys per call (DynamoDB API reference). */
const BATCH_GET_MAX = 100;
/** Index entries a filtered list reads per Query (keys only: 100 entries are a few KB of the 1 MB a Query may return). */
const FILTERED_READ_AHEAD = 100;

type Item = Record<string, unknown>;

/**
 * The job store on DynamoDB. Every change is one UpdateItem whose ConditionExpression checks the
 * expected status, version and attempt, so racing writers cannot both win. `payload` and `result`
 * are kept as JSON text: DynamoDB nests at most 32 levels and has no place for every JSON number.
 *
 * An item may not exceed 400 KB (DynamoDB service quotas). This store does not check: payloads and
 * results above AGENT_RUNNER_INLINE_LIMIT_BYTES (at most 350 KB, default 64 KB) are put in S3
 * before they reach the record, which leaves room for the attempts list and the other fields.
 */
export class DynamoDbJobStore implements JobStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly outbox: JobOutbox | null;

  constructor(doc: DynamoDBDocumentClient, table: string, outbox: JobOutbox | null = null) {
    this.doc = doc;
    this.table = table;
    this.outbox = outbox;
  }

  async create(job: Job, idempotency?: IdempotencyRecord): Promise<void> {
    if (idempotency) return this.createWithIdempotencyRecord(job, idempotency);
    try {
      await this.doc.send(new PutCommand({ TableName: this.table, Item: toItem(job), ConditionExpression: 'attribute_not_exists(jobId)' }));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new ConflictError(`job ${job.jobId} already exists`, { cause: error });
      throw unavailable('create', error);
    }
  }

  /** The job and its key in one transaction: the key is taken if absent or expired (TTL deletes lazily, moto never). */
  private async createWithIdempotencyRecord(job: Job, record: IdempotencyRecord): Promise<void> {
    try {
      await this.doc.send(new TransactWriteCommand({ TransactItems: idempotentPutItems(this.table, toItem(job), record, job.createdAt) }));
    } catch (error) {
      throw idempotentPutConflict(error, record, `job ${job.jobId}`) ?? unavailable('create', error);
    }
  }

  async findIdempotencyRecord(tenant: string, key: string, now: Date): Promise<IdempotencyRecord | null> {
    const out = await this.call('findIdempotencyRecord', () =>
      this.doc.send(new GetCommand({ TableName: this.table, Key: { jobId: idempotencyItemKey(tenant, key) }, ConsistentRead: true })),
    );
    return idempotencyRecordOf(out.Item, tenant, key, now);
  }

  async releaseIdempotencyRecord(tenant: string, key: string, jobId: string): Promise<void> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { jobId: idempotencyItemKey(tenant, key) },
          // A pipeline's record is never released: its pipeline, once recorded, is never undone.
          ConditionExpression: 'idempotentJobId = :job AND attribute_not_exists(idempotentPipelineId)',
          ExpressionAttributeValues: { ':job': jobId },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return;
      throw unavailable('releaseIdempotencyRecord', error);
    }
  }

  async get(jobId: string): Promise<Job | null> {
    const out = await this.call('get', () =>
      this.doc.send(new GetCommand({ TableName: this.table, Key: { jobId }, ConsistentRead: true })),
    );
    return out.Item ? fromItem(out.Item) : null;
  }

  /**
   * Newest first from the index that fits the filter. One id more than the page is read, so a page
   * says whether another follows (no empty last page). The cursor is the last job id handed out, so
   * a page may stop anywhere in a Query's results, and a filtered Query can read ahead in big steps:
   * a FilterExpression applies after `Limit`, which counts items read, not items matched.
   */
  async list(query: JobListQuery): Promise<JobPage> {
    const { index, partition, filters } = this.indexFor(query);
    const wanted = query.limit + 1;
    const jobIds: string[] = [];
    const names: Record<string, string> = { '#pk': partition.name };
    const values: Record<string, unknown> = { ':pk': partition.value };
    filters.forEach((f, i) => {
      names[`#f${i}`] = f.name;
      values[`:f${i}`] = f.value;
    });
    const filtered = filters.length > 0;
    let start: Item | undefined = query.cursor ? { jobId: decodeCursor(query.cursor), ...partition.key } : undefined;
    do {
      const out = await this.call('list', () =>
        this.doc.send(
          new QueryCommand({
            TableName: this.table,
            IndexName: index,
            KeyConditionExpression: '#pk = :pk',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ...(filtered ? { FilterExpression: filters.map((_, i) => `#f${i} = :f${i}`).join(' AND ') } : {}),
            ScanIndexForward: false,
            Limit: filtered ? Math.max(FILTERED_READ_AHEAD, wanted - jobIds.length) : wanted - jobIds.length,
            ExclusiveStartKey: start,
          }),
        ),
      );
      for (const item of out.Items ?? []) jobIds.push(String(item.jobId));
      start = out.LastEvaluatedKey;
    } while (start && jobIds.length < wanted);
    const page = jobIds.slice(0, query.limit);
    const more = jobIds.length > query.limit;
    return { jobs: await this.getMany(page), nextCursor: more && page.length > 0 ? encodeCursor(page.at(-1)!) : null };
  }

  async update(jobId: string, expect: JobExpectation, changes: JobChanges, now: Date, owed: readonly WebhookDelivery[] = []): Promise<Job> {
    const names: Record<string, string> = { '#status': 'status', '#version': 'version', '#updatedAt': 'updatedAt' };
    const values: Record<string, unknown> = { ':one': 1, ':now': now.toISOString() };
    const sets = ['#version = #version + :one', '#updatedAt = :now'];
    Object.entries(toItem(changes as Partial<Job>)).forEach(([field, value], i) => {
      names[`#f${i}`] = field;
      values[`:f${i}`] = value;
      sets.push(`#f${i} = :f${i}`);
    });
    const conditions = [`#status IN (${expect.status.map((_, i) => `:s${i}`).join(', ')})`];
    for (const [i, status] of expect.status.entries()) values[`:s${i}`] = status;
    if (expect.version !== undefined) {
      conditions.push('#version = :expectedVersion');
      values[':expectedVersion'] = expect.version;
    }
    if (expect.attempt !== undefined) {
      names['#attempt'] = 'attempt';
      conditions.push('#attempt = :expectedAttempt');
      values[':expectedAttempt'] = expect.attempt;
    }
    const write = {
      TableName: this.table,
      Key: { jobId },
      UpdateExpression: `SET ${sets.join(', ')}`,
      ConditionExpression: conditions.join(' AND '),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    };
    if (owed.length > 0) return this.updateWithOutbox(jobId, expect, write, owed);
    try {
      const out = await this.doc.send(
        new UpdateCommand({ ...write, ReturnValues: 'ALL_NEW', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }),
      );
      return fromItem(out.Attributes ?? {});
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw refusal(jobId, expect, error);
      throw unavailable('update', error);
    }
  }

  /**
   * The job's conditional update and a Put per delivery it owes, in one TransactWriteItems: both or
   * neither. Only for writes that owe deliveries (a job with webhooks ending): every other write
   * stays one UpdateItem. A transaction returns no item, so the job is read back after it.
   */
  private async updateWithOutbox(
    jobId: string,
    expect: JobExpectation,
    write: { TableName: string; Key: Item; UpdateExpression: string; ConditionExpression: string } & Item,
    owed: readonly WebhookDelivery[],
  ): Promise<Job> {
    const outbox = this.outbox;
    if (!outbox) throw new Error(`job ${jobId} owes webhook deliveries but this job store has no deliveries table`);
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            { Update: { ...write, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } },
            ...owed.map((d) => webhookDeliveryPut(outbox.table, d)),
          ],
        }),
      );
    } catch (error) {
      if (error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') {
        const found = await this.get(jobId);
        if (!found) throw new NotFoundError(`job ${jobId} not found`, { cause: error });
        throw new ConflictError(
          `job ${jobId} is ${found.status} v${found.version} attempt ${found.attempt}; expected ${describeExpectation(expect)}`,
          { cause: error },
        );
      }
      throw unavailable('update', error);
    }
    // Best effort: a delivery whose announcement is lost is found by the dispatcher's sweep.
    await outbox.announce?.(owed).catch(() => undefined);
    const job = await this.get(jobId);
    if (!job) throw new NotFoundError(`job ${jobId} not found`);
    return job;
  }

  async delete(jobId: string, expect: JobExpectation): Promise<void> {
    const values: Record<string, unknown> = {};
    const conditions = [`#status IN (${expect.status.map((_, i) => `:s${i}`).join(', ')})`];
    for (const [i, status] of expect.status.entries()) values[`:s${i}`] = status;
    if (expect.version !== undefined) {
      conditions.push('version = :v');
      values[':v'] = expect.version;
    }
    if (expect.attempt !== undefined) {
      conditions.push('attempt = :a');
      values[':a'] = expect.attempt;
    }
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { jobId },
          ConditionExpression: conditions.join(' AND '),
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: values,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw refusal(jobId, expect, error);
      throw unavailable('delete', error);
    }
  }

  async listByStatus(status: JobStatus, limit: number): Promise<Job[]> {
    const out = await this.call('listByStatus', () =>
      this.doc.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: JOBS_TABLE.statusIndex.name,
          KeyConditionExpression: '#s = :s',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':s': status },
          ScanIndexForward: true,
          Limit: limit,
        }),
      ),
    );
    const jobs = await this.getMany((out.Items ?? []).map((i) => String(i.jobId)));
    // The index is eventually consistent; the records are not: keep only what is still in `status`.
    return jobs.filter((j) => j.status === status);
  }

  /**
   * The by-created index (every job in one partition, sorted by its ULID id) between the lowest ULID
   * of `from` and the highest before `to`, oldest first; then the page's records, consistently.
   */
  async listCreatedBetween(query: CreatedBetweenQuery): Promise<JobPage> {
    const all = JOBS_TABLE.allIndex;
    const { lowest, highest } = ulidRangeOf(query.from, query.to);
    const limit = Math.max(1, Math.floor(query.limit));
    const wanted = limit + 1;
    const jobIds: string[] = [];
    let start: Item | undefined = query.cursor ? { jobId: decodeCursor(query.cursor), [all.partitionKey]: all.partitionValue } : undefined;
    do {
      const out = await this.call('listCreatedBetween', () =>
        this.doc.send(
          new QueryCommand({
            TableName: this.table,
            IndexName: all.name,
            KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :lo AND :hi',
            ExpressionAttributeNames: { '#pk': all.partitionKey, '#sk': all.sortKey },
            ExpressionAttributeValues: { ':pk': all.partitionValue, ':lo': lowest, ':hi': highest },
            ScanIndexForward: true,
            Limit: wanted - jobIds.length,
            ExclusiveStartKey: start,
          }),
        ),
      );
      for (const item of out.Items ?? []) jobIds.push(String(item.jobId));
      start = out.LastEvaluatedKey;
    } while (start && jobIds.length < wanted);
    const page = jobIds.slice(0, limit);
    const more = jobIds.length > limit;
    return { jobs: await this.getMany(page), nextCursor: more && page.length > 0 ? encodeCursor(page.at(-1)!) : null };
  }

  /** Reads records by id, consistently, in the order given; ids that vanished meanwhile are skipped. */
  async getMany(jobIds: readonly string[]): Promise<Job[]> {
    const found = new Map<string, Job>();
    // BatchGetItem refuses a request that names one key twice.
    const unique = [...new Set(jobIds)];
    for (let i = 0; i < unique.length; i += BATCH_GET_MAX) {
      let request: Record<string, { Keys: Item[]; ConsistentRead: boolean }> | undefined = {
        [this.table]: { Keys: unique.slice(i, i + BATCH_GET_MAX).map((jobId) => ({ jobId })), ConsistentRead: true },
      };
      while (request && Object.keys(request).length > 0) {
        const req: Record<string, { Keys: Item[]; ConsistentRead: boolean }> = request;
        const out = await this.call('get', () => this.doc.send(new BatchGetCommand({ RequestItems: req })));
        for (const item of out.Responses?.[this.table] ?? []) found.set(String(item.jobId), fromItem(item));
        request = out.UnprocessedKeys as typeof request;
      }
    }
    return jobIds.flatMap((id) => found.get(id) ?? []);
  }

  private indexFor(query: JobListQuery): {
    index: string;
    partition: { name: string; value: string; key: Item };
    filters: { name: string; value: string }[];
  } {
    if (query.tenant) {
      return {
        index: JOBS_TABLE.tenantIndex.name,
        partition: { name: 'tenant', value: query.tenant, key: { tenant: query.tenant } },
        filters: [
          ...(query.status ? [{ name: 'status', value: query.status }] : []),
          ...(query.jobType ? [{ name: 'jobType', value: query.jobType }] : []),
        ],
      };
    }
    if (query.status) {
      return {
        index: JOBS_TABLE.statusIndex.name,
        partition: { name: 'status', value: query.status, key: { status: query.status } },
        filters: query.jobType ? [{ name: 'jobType', value: query.jobType }] : [],
      };
    }
    if (query.jobType) {
      return {
        index: JOBS_TABLE.typeIndex.name,
        partition: { name: 'jobType', value: query.jobType, key: { jobType: query.jobType } },
        filters: [],
      };
    }
    const all = JOBS_TABLE.allIndex;
    return {
      index: all.name,
      partition: { name: all.partitionKey, value: all.partitionValue, key: { [all.partitionKey]: all.partitionValue } },
      filters: [],
    };
  }

  private async call<T>(what: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw unavailable(what, error);
    }
  }
}

/**
 * Why a conditional write was refused, from the item as the failed check saw it
 * (ReturnValuesOnConditionCheckFailure ALL_OLD): no item means the job does not exist. Read from the
 * same write, so it cannot race a delete or a create the way a second read could.
 */
function refusal(jobId: string, expect: JobExpectation, error: ConditionalCheckFailedException): Error {
  // The SDK hands the item back in DynamoDB's attribute-value form (lib-dynamodb does not convert errors).
  const item = error.Item;
  if (!item) return new NotFoundError(`job ${jobId} not found`, { cause: error });
  const found = `${item.status?.S ?? '?'} v${item.version?.N ?? '?'} attempt ${item.attempt?.N ?? '?'}`;
  return new ConflictError(`job ${jobId} is ${found}; expected ${describeExpectation(expect)}`, { cause: error });
}

function describeExpectation(expect: JobExpectation): string {
  return (
    expect.status.join('|') +
    (expect.version !== undefined ? ` v${expect.version}` : '') +
    (expect.attempt !== undefined ? ` attempt ${expect.attempt}` : '')
  );
}

function unavailable(what: string, error: unknown): Error {
  if (error instanceof ConflictError || error instanceof NotFoundError || error instanceof UnavailableError) return error;
  const requestId = (error as { $metadata?: { requestId?: string } }).$metadata?.requestId;
  return new UnavailableError(`DynamoDB ${what} failed${requestId ? ` (request ${requestId})` : ''}: ${(error as Error).message}`, {
    cause: error,
  });
}

/** Job fields as DynamoDB attributes; payload and result as JSON text. */
function toItem(job: Partial<Job>): Item {
  const item: Item = {};
  for (const [key, value] of Object.entries(job)) {
    if (value === undefined) continue;
    if (key === 'payload' || key === 'result') item[`${key}Json`] = JSON.stringify(value);
    else item[key] = value;
  }
  if (job.jobId !== undefined) item[JOBS_TABLE.allIndex.partitionKey] = JOBS_TABLE.allIndex.partitionValue;
  return item;
}

function fromItem(item: Item): Job {
  const { payloadJson, resultJson, listPartition: _partition, ...rest } = item;
  const job = rest as Omit<Job, 'payload' | 'result'>;
  return {
    ...job,
    // Items written before jobs had these fields lack them; a record never does.
    usage: job.usage ?? null,
    rateLimits: job.rateLimits ?? null,
    keyId: job.keyId ?? null,
    isolation: job.isolation ?? 'one_shot',
    webhooks: job.webhooks ?? [],
    payload: typeof payloadJson === 'string' ? (JSON.parse(payloadJson) as JsonValue) : null,
    result: typeof resultJson === 'string' ? (JSON.parse(resultJson) as JsonValue) : null,
  } as Job;
}

function encodeCursor(jobId: string): string {
  return Buffer.from(jobId, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  const jobId = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^[0-9A-HJKMNP-TV-Z]{26}$/.test(jobId))
    throw new ValidationError('cursor is not one this API handed out', { problem: 'invalid-cursor' });
  return jobId;
}
