import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { JsonValue } from '../../domain/job.ts';
import type { JobEvent, JobEventLog, NewJobEvent } from '../../ports/job-events.ts';
import { statementCache } from './statement-cache.ts';

/** The job event log in SQLite. Rows older than the retention are pruned as new ones arrive. */
export class SqliteJobEventLog implements JobEventLog {
  private readonly db: DatabaseSync;
  /** Prepared statements, reused (see statement-cache.ts). */
  private readonly sql: (sql: string) => StatementSync;
  private readonly retentionMs: number;
  private lastPrune = 0;

  constructor(db: DatabaseSync, retentionSeconds: number) {
    this.db = db;
    this.sql = statementCache(db);
    this.retentionMs = retentionSeconds * 1000;
    db.exec(`CREATE TABLE IF NOT EXISTS job_event_log (
      job_id TEXT NOT NULL,
      seq INTEGER NOT NULL,
      at TEXT NOT NULL,
      attempt INTEGER NOT NULL,
      type TEXT NOT NULL,
      data TEXT NOT NULL,
      PRIMARY KEY (job_id, seq)
    ) WITHOUT ROWID`);
  }

  async append(jobId: string, firstSeq: number, events: readonly NewJobEvent[]): Promise<void> {
    if (events.length === 0) return;
    // A duplicate (job_id, seq) violates the primary key: a second writer fails loudly.
    const insert = this.sql('INSERT INTO job_event_log (job_id, seq, at, attempt, type, data) VALUES (?, ?, ?, ?, ?, ?)');
    this.db.exec('BEGIN IMMEDIATE');
    try {
      for (const [i, e] of events.entries()) insert.run(jobId, firstSeq + i, e.at, e.attempt, e.type, JSON.stringify(e.data));
      this.db.exec('COMMIT');
    } catch (error) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw error;
    }
    this.pruneNowAndThen();
  }

  async read(jobId: string, afterSeq: number, limit: number): Promise<JobEvent[]> {
    const rows = this.sql('SELECT seq, at, attempt, type, data FROM job_event_log WHERE job_id = ? AND seq > ? ORDER BY seq LIMIT ?').all(
      jobId,
      afterSeq,
      limit,
    ) as { seq: number; at: string; attempt: number; type: string; data: string }[];
    return rows.map((r) => ({ jobId, seq: r.seq, at: r.at, attempt: r.attempt, type: r.type, data: JSON.parse(r.data) as JsonValue }));
  }

  async lastSeq(jobId: string): Promise<number> {
    const row = this.sql('SELECT MAX(seq) AS seq FROM job_event_log WHERE job_id = ?').get(jobId) as { seq: number | null };
    return row.seq ?? 0;
  }

  private pruneNowAndThen(): void {
    const now = Date.now();
    if (now - this.lastPrune < 60_000) return;
    this.lastPrune = now;
    this.sql('DELETE FROM job_event_log WHERE at < ?').run(new Date(now - this.retentionMs).toISOString());
  }
}
