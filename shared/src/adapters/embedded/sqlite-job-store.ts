import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import { ConflictError, NotFoundError, ValidationError } from '../../domain/errors.ts';
import type { Job, JobChanges, JobExpectation } from '../../domain/job.ts';
import type { JobStatus } from '../../domain/job-status.ts';
import { ulidRangeOf } from '../../domain/ids.ts';
import type { CreatedBetweenQuery, IdempotencyRecord, JobListQuery, JobPage, JobStore } from '../../ports/job-store.ts';
import type { WebhookDelivery } from '../../domain/webhook-delivery.ts';
import { inImmediateTransaction } from './sqlite-database.ts';
import { claimIdempotencyKey, ensureIdempotencyKeysTable, readIdempotencyRecord } from './sqlite-idempotency-keys.ts';
import { statementCache } from './statement-cache.ts';
import { ensureWebhookDeliveriesTable, insertWebhookDeliveries } from './sqlite-webhook-deliveries.ts';

/** The fields a write may change: checked, because each becomes a JSON path in the statement. */
const CHANGEABLE_FIELDS: ReadonlySet<string> = new Set<keyof JobChanges>([
  'jobType',
  'status',
  'priority',
  'tenant',
  'orderingKey',
  'payload',
  'payloadRef',
  'attempt',
  'maxAttempts',
  'timeoutSeconds',
  'attempts',
  'heartbeatAt',
  'startedAt',
  'finishedAt',
  'result',
  'resultRef',
  'error',
  'usage',
  'rateLimits',
]);

/**
 * The job store in SQLite: one row per job holding the record as a JSON document, plus the columns
 * writes condition on. Every change is a single conditional UPDATE, atomic on its own, so racing
 * writers in any number of processes cannot both pass the same expectation.
 */
export class SqliteJobStore implements JobStore {
  private readonly db: DatabaseSync;
  /** Prepared statements, reused (see statement-cache.ts). */
  private readonly sql: (sql: string) => StatementSync;

  constructor(db: DatabaseSync) {
    this.db = db;
    this.sql = statementCache(db);
    ensureIdempotencyKeysTable(db);
    ensureWebhookDeliveriesTable(db);
  }

  async create(job: Job, idempotency?: IdempotencyRecord): Promise<void> {
    const insertJob = () => {
      const inserted = this.sql(
        `INSERT INTO jobs (job_id, status, job_type, created_at, version, attempt, doc)
           VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (job_id) DO NOTHING`,
      ).run(job.jobId, job.status, job.jobType, job.createdAt, job.version, job.attempt, JSON.stringify(job));
      if (Number(inserted.changes) === 0) throw new ConflictError(`job ${job.jobId} already exists`);
    };
    if (!idempotency) return insertJob();
    const record = idempotency;
    inImmediateTransaction(this.db, () => {
      claimIdempotencyKey(this.sql, record, job.createdAt);
      insertJob();
    });
  }

  async findIdempotencyRecord(tenant: string, key: string, now: Date): Promise<IdempotencyRecord | null> {
    return readIdempotencyRecord(this.sql, tenant, key, now.toISOString());
  }

  async releaseIdempotencyRecord(tenant: string, key: string, jobId: string): Promise<void> {
    // A pipeline's record is never released: its pipeline, once recorded, is never undone.
    this.sql('DELETE FROM idempotency_keys WHERE tenant = ? AND key = ? AND job_id = ? AND pipeline_id IS NULL').run(tenant, key, jobId);
  }

  async get(jobId: string): Promise<Job | null> {
    const row = this.sql('SELECT doc FROM jobs WHERE job_id = ?').get(jobId) as { doc: string } | undefined;
    return row ? parseJob(row.doc) : null;
  }

  /** One statement for any number of ids (passed as one JSON array), in the order given; missing ids are skipped. */
  async getMany(jobIds: readonly string[]): Promise<Job[]> {
    if (jobIds.length === 0) return [];
    const rows = this.sql('SELECT job_id, doc FROM jobs WHERE job_id IN (SELECT value FROM json_each(?))').all(JSON.stringify(jobIds)) as {
      job_id: string;
      doc: string;
    }[];
    const found = new Map(rows.map((r) => [r.job_id, r.doc]));
    return jobIds.flatMap((id) => {
      const doc = found.get(id);
      return doc === undefined ? [] : [parseJob(doc)];
    });
  }

  async list(query: JobListQuery): Promise<JobPage> {
    const where: string[] = [];
    const params: SQLInputValue[] = [];
    if (query.status !== undefined) {
      where.push('status = ?');
      params.push(query.status);
    }
    if (query.jobType !== undefined) {
      where.push('job_type = ?');
      params.push(query.jobType);
    }
    if (query.tenant !== undefined) {
      // The expression of the jobs_by_tenant index, so SQLite can use it.
      where.push("json_extract(doc, '$.tenant') = ?");
      params.push(query.tenant);
    }
    if (query.cursor !== undefined) {
      where.push('job_id < ?');
      params.push(decodeCursor(query.cursor));
    }
    const limit = Math.max(1, Math.floor(query.limit));
    // One row more than the page tells whether another page exists, so the last page says so.
    const rows = this.sql(
      `SELECT doc FROM jobs ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY job_id DESC LIMIT ?`,
    ).all(...params, limit + 1) as { doc: string }[];
    const jobs = rows.slice(0, limit).map((r) => parseJob(r.doc));
    const last = jobs.at(-1);
    return { jobs, nextCursor: rows.length > limit && last ? encodeCursor(last.jobId) : null };
  }

  async update(jobId: string, expect: JobExpectation, changes: JobChanges, now: Date, owed: readonly WebhookDelivery[] = []): Promise<Job> {
    if (owed.length === 0) return this.updateJob(jobId, expect, changes, now);
    // The job's end and the deliveries it owes commit together or not at all.
    return inImmediateTransaction(this.db, () => {
      const job = this.updateJob(jobId, expect, changes, now);
      insertWebhookDeliveries(this.db, owed);
      return job;
    });
  }

  private updateJob(jobId: string, expect: JobExpectation, changes: JobChanges, now: Date): Job {
    const paths: string[] = [];
    const values: SQLInputValue[] = [];
    for (const [field, value] of Object.entries(changes)) {
      if (value === undefined) continue;
      if (!CHANGEABLE_FIELDS.has(field)) throw new ValidationError(`job field "${field}" cannot be changed`);
      paths.push(', ?, json(?)');
      values.push(`$.${field}`, JSON.stringify(value));
    }
    const condition = expectationClause(expect);
    // In SET every right-hand side sees the row as it was, so `version + 1` is the old version + 1.
    const row = this.sql(
      `UPDATE jobs SET
           doc = json_set(doc, '$.version', version + 1, '$.updatedAt', ?${paths.join('')}),
           version = version + 1,
           status = coalesce(?, status),
           attempt = coalesce(?, attempt),
           job_type = coalesce(?, job_type)
         WHERE job_id = ? AND ${condition.sql}
         RETURNING doc`,
    ).get(
      now.toISOString(),
      ...values,
      changes.status ?? null,
      changes.attempt ?? null,
      changes.jobType ?? null,
      jobId,
      ...condition.params,
    ) as { doc: string } | undefined;
    if (row) return parseJob(row.doc);
    throw this.refusal(jobId, expect);
  }

  async delete(jobId: string, expect: JobExpectation): Promise<void> {
    const condition = expectationClause(expect);
    const deleted = this.sql(`DELETE FROM jobs WHERE job_id = ? AND ${condition.sql}`).run(jobId, ...condition.params);
    if (Number(deleted.changes) === 0) throw this.refusal(jobId, expect);
  }

  async listByStatus(status: JobStatus, limit: number): Promise<Job[]> {
    const rows = this.sql('SELECT doc FROM jobs WHERE status = ? ORDER BY job_id ASC LIMIT ?').all(
      status,
      Math.max(1, Math.floor(limit)),
    ) as { doc: string }[];
    return rows.map((r) => parseJob(r.doc));
  }

  /** The id range of [from, to) on the primary key: ULIDs sort by creation time. */
  async listCreatedBetween(query: CreatedBetweenQuery): Promise<JobPage> {
    const { lowest, highest } = ulidRangeOf(query.from, query.to);
    const after = query.cursor !== undefined ? decodeCursor(query.cursor) : null;
    const limit = Math.max(1, Math.floor(query.limit));
    const rows = this.sql(
      `SELECT doc FROM jobs WHERE job_id BETWEEN ? AND ? ${after !== null ? 'AND job_id > ?' : ''} ORDER BY job_id ASC LIMIT ?`,
    ).all(lowest, highest, ...(after !== null ? [after] : []), limit + 1) as { doc: string }[];
    const jobs = rows.slice(0, limit).map((r) => parseJob(r.doc));
    const last = jobs.at(-1);
    return { jobs, nextCursor: rows.length > limit && last ? encodeCursor(last.jobId) : null };
  }

  /** Why a conditional write changed nothing: the job is absent, or it is not as expected. */
  private refusal(jobId: string, expect: JobExpectation): NotFoundError | ConflictError {
    const found = this.sql('SELECT status, version, attempt FROM jobs WHERE job_id = ?').get(jobId) as
      | { status: string; version: number; attempt: number }
      | undefined;
    if (!found) return new NotFoundError(`job ${jobId} not found`);
    return new ConflictError(
      `job ${jobId} is ${found.status} v${found.version} attempt ${found.attempt}; expected ${describeExpectation(expect)}`,
    );
  }
}

function expectationClause(expect: JobExpectation): { sql: string; params: SQLInputValue[] } {
  // An empty status list matches nothing (SQLite accepts `IN ()` as false).
  const parts = [`status IN (${expect.status.map(() => '?').join(', ')})`];
  const params: SQLInputValue[] = [...expect.status];
  if (expect.version !== undefined) {
    parts.push('version = ?');
    params.push(expect.version);
  }
  if (expect.attempt !== undefined) {
    parts.push('attempt = ?');
    params.push(expect.attempt);
  }
  return { sql: parts.join(' AND '), params };
}

function describeExpectation(expect: JobExpectation): string {
  return [
    expect.status.join('|') || 'no status',
    expect.version !== undefined ? `v${expect.version}` : null,
    expect.attempt !== undefined ? `attempt ${expect.attempt}` : null,
  ]
    .filter(Boolean)
    .join(' ');
}

function parseJob(doc: string): Job {
  const job = JSON.parse(doc) as Job;
  // Records written before warm pools have no isolation: they ran one-shot.
  job.isolation ??= 'one_shot';
  return job;
}

/** Cursors are opaque to callers: the last job id of the page, base64url-encoded. */
function encodeCursor(lastJobId: string): string {
  return Buffer.from(JSON.stringify({ after: lastJobId }), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  try {
    const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (typeof decoded === 'object' && decoded !== null && 'after' in decoded && typeof decoded.after === 'string') {
      return decoded.after;
    }
  } catch {
    // fall through: not one of ours
  }
  throw new ValidationError('invalid cursor', {
    problem: 'invalid-cursor',
    errors: [{ path: 'cursor', message: 'not a cursor this API issued' }],
  });
}
