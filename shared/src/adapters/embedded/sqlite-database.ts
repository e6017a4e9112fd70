import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

/** The embedded backend's one database file, shared by the API/dispatcher and every worker process. */
export const DATABASE_FILE = 'agent-runner.db';

/**
 * How long a statement waits for another process's write lock before failing with SQLITE_BUSY.
 * Every write transaction here is a few statements long (well under a millisecond), so waiting
 * this long means something is wrong, not merely busy.
 */
const BUSY_TIMEOUT_MS = 5_000;

/**
 * Schema migrations, applied in order; `PRAGMA user_version` records how many have run. Append new
 * steps, never edit a shipped one. (The concurrency-lease and job-event adapters create their own
 * tables, `concurrency_leases` and `job_event_log`, when constructed.)
 */
const MIGRATIONS: readonly string[] = [
  `
  -- The job record is the JSON document; the columns beside it are what writes condition on and
  -- listings filter on, kept in step with the document by every write.
  CREATE TABLE jobs (
    job_id     TEXT PRIMARY KEY,
    status     TEXT NOT NULL,
    job_type   TEXT NOT NULL,
    created_at TEXT NOT NULL,
    version    INTEGER NOT NULL,
    attempt    INTEGER NOT NULL,
    doc        TEXT NOT NULL
  ) WITHOUT ROWID;
  -- Job ids are ULIDs, so id order is creation order: listings scan these newest or oldest first.
  CREATE INDEX jobs_by_status ON jobs (status, job_id);
  CREATE INDEX jobs_by_type ON jobs (job_type, job_id);

  -- One row per message, SQS-like: hidden until visible_at (ms since the epoch), received
  -- receive_count times; receipt identifies the current receive, so only its holder settles it.
  CREATE TABLE queue_messages (
    message_id    INTEGER PRIMARY KEY AUTOINCREMENT,
    body          TEXT NOT NULL,
    priority_rank INTEGER NOT NULL,
    ordering_key  TEXT,
    sent_at       INTEGER NOT NULL,
    visible_at    INTEGER NOT NULL,
    receive_count INTEGER NOT NULL DEFAULT 0,
    receipt       TEXT
  );
  CREATE INDEX queue_messages_by_rank ON queue_messages (priority_rank, message_id);
  CREATE INDEX queue_messages_by_visibility ON queue_messages (visible_at);
  CREATE INDEX queue_messages_by_group ON queue_messages (ordering_key, message_id) WHERE ordering_key IS NOT NULL;

  -- FIFO deduplication ids seen in the last five minutes (SQS's deduplication interval).
  CREATE TABLE queue_deduplication (
    deduplication_id TEXT PRIMARY KEY,
    expires_at       INTEGER NOT NULL
  ) WITHOUT ROWID;

  -- Messages received too often without being acked (SQS redrive to a dead-letter queue).
  CREATE TABLE dead_letters (
    message_id    INTEGER PRIMARY KEY,
    body          TEXT NOT NULL,
    priority_rank INTEGER NOT NULL,
    ordering_key  TEXT,
    sent_at       INTEGER NOT NULL,
    receive_count INTEGER NOT NULL,
    dead_at       INTEGER NOT NULL
  );
  `,
  `
  -- Job records gained usage and rateLimits; a record is never missing a field, so older
  -- ones get both as null.
  UPDATE jobs SET doc = json_set(doc, '$.usage', json('null'), '$.rateLimits', json('null'))
  WHERE json_type(doc, '$.usage') IS NULL;
  `,
  `
  -- Job records gained keyId (the submitting API key's id); older ones were submitted without one.
  UPDATE jobs SET doc = json_set(doc, '$.keyId', json('null')) WHERE json_type(doc, '$.keyId') IS NULL;
  -- GET /jobs for one tenant (an API key sees only its tenant's jobs), newest first.
  CREATE INDEX IF NOT EXISTS jobs_by_tenant ON jobs (json_extract(doc, '$.tenant'), job_id);
  `,
  `
  -- Job records gained webhooks (where the job reports its end); older ones report nowhere.
  UPDATE jobs SET doc = json_set(doc, '$.webhooks', json('[]')) WHERE json_type(doc, '$.webhooks') IS NULL;
  `,
];

/** The schema version a database has once opened by this build. */
export const CURRENT_SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Opens (creating when absent) `<dataDir>/agent-runner.db` and brings its schema up to date.
 * Several processes open the same file: WAL lets readers run beside one writer, and the busy
 * timeout makes a writer wait for another process's write lock instead of failing at once.
 */
export function openSqliteDatabase(dataDir: string): DatabaseSync {
  mkdirSync(dataDir, { recursive: true });
  const db = new DatabaseSync(join(dataDir, DATABASE_FILE), { timeout: BUSY_TIMEOUT_MS });
  try {
    db.exec('PRAGMA journal_mode = WAL');
    // In WAL mode NORMAL loses no committed transaction on a process crash, only on power loss.
    db.exec('PRAGMA synchronous = NORMAL');
    migrate(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

export function schemaVersion(db: DatabaseSync): number {
  return (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
}

/**
 * Runs the pending migrations in one IMMEDIATE transaction, re-reading the version under the write
 * lock: two processes starting at once do not both apply the same step.
 */
function migrate(db: DatabaseSync): void {
  if (schemaVersion(db) >= MIGRATIONS.length) return;
  inImmediateTransaction(db, () => {
    const current = schemaVersion(db);
    if (current > MIGRATIONS.length) {
      throw new Error(`database schema version ${current} is newer than this build knows (${MIGRATIONS.length})`);
    }
    for (let step = current; step < MIGRATIONS.length; step++) db.exec(MIGRATIONS[step]!);
    db.exec(`PRAGMA user_version = ${MIGRATIONS.length}`);
  });
}

/**
 * Runs `work` in a transaction that takes the write lock up front (BEGIN IMMEDIATE), so what it
 * reads cannot be changed by another process before it writes. `work` must be synchronous: the
 * connection is shared by everything in this process, and nothing else may run inside.
 */
export function inImmediateTransaction<T>(db: DatabaseSync, work: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = work();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}
