import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { WebhookDelivery } from '../../domain/webhook-delivery.ts';
import type { JobOutbox } from './dynamodb-job-store.ts';
import { webhookDeliveryPut } from './webhook-deliveries-table.ts';
import { ConflictError, NotFoundError, UnavailableError } from '../../domain/errors.ts';
import type { Pipeline, PipelineChanges, PipelineExpectation, PipelineStatus } from '../../domain/pipeline.ts';
import type { IdempotencyRecord } from '../../ports/job-store.ts';
import type { PipelineStore } from '../../ports/pipeline-store.ts';
import { idempotentPutConflict, idempotentPutItems } from './idempotency-items.ts';
import { JOBS_TABLE } from './jobs-table.ts';

type Item = Record<string, unknown>;

/**
 * Pipelines in the jobs table, one item each (see JOBS_TABLE.pipeline): a single PutItem records a
 * pipeline with all its steps, where a transaction of its step jobs could not (TransactWriteItems
 * takes at most 100 items). The item carries the by-status index's key as `pipeline:<status>`, so
 * the sweep finds RUNNING pipelines without a table of their own and no job listing ever sees one.
 */
export class DynamoDbPipelineStore implements PipelineStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly outbox: JobOutbox | null;

  constructor(doc: DynamoDBDocumentClient, table: string, outbox: JobOutbox | null = null) {
    this.doc = doc;
    this.table = table;
    this.outbox = outbox;
  }

  async create(pipeline: Pipeline, idempotency?: IdempotencyRecord): Promise<void> {
    if (idempotency) return this.createWithIdempotencyRecord(pipeline, idempotency);
    try {
      await this.doc.send(
        new PutCommand({ TableName: this.table, Item: toItem(pipeline), ConditionExpression: 'attribute_not_exists(jobId)' }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new ConflictError(`pipeline ${pipeline.pipelineId} already exists`, { cause: error });
      }
      throw unavailable('create', error);
    }
  }

  /**
   * The pipeline and its key in one TransactWriteItems (two items, whatever the number of steps):
   * a retry after a crash anywhere finds both or neither, so it never records a second pipeline.
   */
  private async createWithIdempotencyRecord(pipeline: Pipeline, record: IdempotencyRecord): Promise<void> {
    try {
      await this.doc.send(
        new TransactWriteCommand({ TransactItems: idempotentPutItems(this.table, toItem(pipeline), record, pipeline.createdAt) }),
      );
    } catch (error) {
      throw idempotentPutConflict(error, record, `pipeline ${pipeline.pipelineId}`) ?? unavailable('create', error);
    }
  }

  async get(pipelineId: string): Promise<Pipeline | null> {
    const out = await this.call('get', () =>
      this.doc.send(new GetCommand({ TableName: this.table, Key: { jobId: keyOf(pipelineId) }, ConsistentRead: true })),
    );
    return out.Item ? fromItem(out.Item) : null;
  }

  async update(
    pipelineId: string,
    expect: PipelineExpectation,
    changes: PipelineChanges,
    now: Date,
    owed: readonly WebhookDelivery[] = [],
  ): Promise<Pipeline> {
    const found = await this.get(pipelineId);
    if (!found) throw new NotFoundError(`pipeline ${pipelineId} not found`);
    const next: Pipeline = { ...found, ...changes, version: found.version + 1, updatedAt: now.toISOString() };
    const values: Record<string, unknown> = { ':read': found.version };
    expect.status.forEach((status, i) => {
      values[`:s${i}`] = statusKey(status);
    });
    const conditions = ['#version = :read', `#status IN (${expect.status.map((_, i) => `:s${i}`).join(', ')})`];
    if (expect.version !== undefined) {
      conditions.push('#version = :expected');
      values[':expected'] = expect.version;
    }
    const put = {
      TableName: this.table,
      Item: toItem(next),
      ConditionExpression: conditions.join(' AND '),
      ExpressionAttributeNames: { '#version': 'version', '#status': 'status' },
      ExpressionAttributeValues: values,
    };
    const outbox = this.outbox;
    if (owed.length > 0 && !outbox)
      throw new Error(`pipeline ${pipelineId} owes webhook deliveries but this store has no deliveries table`);
    try {
      if (owed.length > 0 && outbox) {
        // The end and its deliveries in one TransactWriteItems: both or neither (targets are few).
        await this.doc.send(
          new TransactWriteCommand({ TransactItems: [{ Put: { ...put } }, ...owed.map((d) => webhookDeliveryPut(outbox.table, d))] }),
        );
      } else {
        await this.doc.send(new PutCommand(put));
      }
    } catch (error) {
      const refused =
        error instanceof ConditionalCheckFailedException ||
        (error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed');
      if (refused) {
        throw new ConflictError(`pipeline ${pipelineId} is ${found.status} v${found.version}; expected ${expect.status.join('|')}`, {
          cause: error,
        });
      }
      throw unavailable('update', error);
    }
    // Best effort: a delivery whose announcement is lost is found by the dispatcher's sweep.
    if (owed.length > 0) await outbox?.announce?.(owed).catch(() => undefined);
    return next;
  }

  async listRunning(limit: number): Promise<Pipeline[]> {
    const out = await this.call('listRunning', () =>
      this.doc.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: JOBS_TABLE.statusIndex.name,
          KeyConditionExpression: '#s = :s',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':s': statusKey('RUNNING') },
          ScanIndexForward: true,
          Limit: Math.max(1, Math.floor(limit)),
        }),
      ),
    );
    const found: Pipeline[] = [];
    for (const item of out.Items ?? []) {
      const pipeline = await this.get(String(item.jobId).slice(JOBS_TABLE.pipeline.keyPrefix.length));
      // The index is eventually consistent; the record is not.
      if (pipeline?.status === 'RUNNING') found.push(pipeline);
    }
    return found;
  }

  private async call<T>(what: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw unavailable(what, error);
    }
  }
}

function keyOf(pipelineId: string): string {
  return JOBS_TABLE.pipeline.keyPrefix + pipelineId;
}

function statusKey(status: PipelineStatus): string {
  return JOBS_TABLE.pipeline.statusPrefix + status;
}

/** The record as JSON text (DynamoDB nests at most 32 levels; payloads may nest deeper). */
function toItem(pipeline: Pipeline): Item {
  return {
    jobId: keyOf(pipeline.pipelineId),
    status: statusKey(pipeline.status),
    version: pipeline.version,
    docJson: JSON.stringify(pipeline),
  };
}

function fromItem(item: Item): Pipeline {
  return JSON.parse(String(item.docJson)) as Pipeline;
}

function unavailable(what: string, error: unknown): Error {
  if (error instanceof ConflictError || error instanceof NotFoundError || error instanceof UnavailableError) return error;
  return new UnavailableError(`DynamoDB pipeline ${what} failed: ${(error as Error).message}`, { cause: error });
}
