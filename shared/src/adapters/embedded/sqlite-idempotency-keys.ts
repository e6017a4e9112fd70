import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { ConflictError } from '../../domain/errors.ts';
import type { IdempotencyRecord } from '../../ports/job-store.ts';

type Sql = (sql: string) => StatementSync;

/**
 * The idempotency_keys table, shared by the job store (POST /jobs) and the pipeline store
 * (POST /pipelines, POST /jobs with `then`): one key space per tenant, so a key names one request
 * whatever it created. Created here rather than by a numbered migration, as the lease tables are.
 */
export function ensureIdempotencyKeysTable(db: DatabaseSync): void {
  db.exec(`CREATE TABLE IF NOT EXISTS idempotency_keys (
    tenant       TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    job_id       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    pipeline_id  TEXT,
    PRIMARY KEY (tenant, key)
  ) WITHOUT ROWID`);
  // A database made before pipelines took keys lacks the column; NULL is "a plain job" there.
  const columns = db.prepare('PRAGMA table_info(idempotency_keys)').all() as { name: string }[];
  if (!columns.some((c) => c.name === 'pipeline_id')) {
    try {
      db.exec('ALTER TABLE idempotency_keys ADD COLUMN pipeline_id TEXT');
    } catch (error) {
      // Another process opening the same file added it between our look and our ALTER.
      if (!/duplicate column/i.test((error as Error).message)) throw error;
    }
  }
  db.exec('CREATE INDEX IF NOT EXISTS idempotency_keys_by_expiry ON idempotency_keys (expires_at)');
}

/**
 * Takes `record`'s key, or throws ConflictError when a live record holds it. Run it inside the
 * transaction that writes what the key names, so both commit or neither does.
 */
export function claimIdempotencyKey(sql: Sql, record: IdempotencyRecord, now: string): void {
  // Expired records are dropped here (what DynamoDB's TTL does on AWS), so an expired key is free.
  sql('DELETE FROM idempotency_keys WHERE expires_at <= ?').run(now);
  const taken = sql(
    `INSERT INTO idempotency_keys (tenant, key, request_hash, job_id, created_at, expires_at, pipeline_id) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (tenant, key) DO NOTHING`,
  ).run(record.tenant, record.key, record.requestHash, record.jobId, record.createdAt, record.expiresAt, record.pipelineId ?? null);
  if (Number(taken.changes) === 0) throw new ConflictError(`idempotency key "${record.key}" of tenant ${record.tenant} is taken`);
}

/** The live record holding `tenant`'s `key` at `now`, or null. */
export function readIdempotencyRecord(sql: Sql, tenant: string, key: string, now: string): IdempotencyRecord | null {
  const row = sql(
    'SELECT request_hash, job_id, pipeline_id, created_at, expires_at FROM idempotency_keys WHERE tenant = ? AND key = ? AND expires_at > ?',
  ).get(tenant, key, now) as
    | { request_hash: string; job_id: string; pipeline_id: string | null; created_at: string; expires_at: string }
    | undefined;
  if (!row) return null;
  return {
    tenant,
    key,
    requestHash: row.request_hash,
    jobId: row.job_id,
    ...(row.pipeline_id !== null && { pipelineId: row.pipeline_id }),
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}
