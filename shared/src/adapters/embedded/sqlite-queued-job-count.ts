import type { DatabaseSync } from 'node:sqlite';
import type { QueuedJobCount } from '../../ports/queued-job-count.ts';

/**
 * Counts a tenant's QUEUED jobs through a partial index on the record's tenant: it holds only
 * QUEUED rows, so a count reads the tenant's waiting jobs and nothing else. Created here, as the
 * lease and event adapters create their tables; SQLite keeps it in step with every write.
 */
export class SqliteQueuedJobCount implements QueuedJobCount {
  private readonly db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.db = db;
    db.exec(`CREATE INDEX IF NOT EXISTS jobs_queued_by_tenant ON jobs (json_extract(doc, '$.tenant')) WHERE status = 'QUEUED'`);
  }

  async countQueued(tenant: string, atMost: number): Promise<number> {
    const row = this.db
      .prepare(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM jobs WHERE status = 'QUEUED' AND json_extract(doc, '$.tenant') = ? LIMIT ?)`)
      .get(tenant, Math.max(0, Math.floor(atMost))) as { n: number };
    return Number(row.n);
  }
}
