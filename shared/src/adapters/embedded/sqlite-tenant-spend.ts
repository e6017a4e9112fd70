import type { DatabaseSync } from 'node:sqlite';
import { roundUsd } from '../../domain/job-usage.ts';
import { SPEND_RETENTION_DAYS, type TenantSpend } from '../../ports/tenant-spend.ts';

/** Daily spend per tenant in SQLite: one row per tenant and day, added to by a single UPDATE (atomic). */
export class SqliteTenantSpend implements TenantSpend {
  private readonly db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.db = db;
    db.exec(`CREATE TABLE IF NOT EXISTS tenant_spend (
      tenant TEXT NOT NULL,
      day TEXT NOT NULL,
      usd REAL NOT NULL,
      PRIMARY KEY (tenant, day)
    ) WITHOUT ROWID`);
  }

  async add(tenant: string, day: string, usd: number): Promise<number> {
    const row = this.db
      .prepare(
        `INSERT INTO tenant_spend (tenant, day, usd) VALUES (?, ?, ?)
         ON CONFLICT (tenant, day) DO UPDATE SET usd = usd + excluded.usd RETURNING usd`,
      )
      .get(tenant, day, usd) as { usd: number };
    // Days past retention go as new days arrive (ISO dates compare as text).
    const oldest = new Date(Date.parse(`${day}T00:00:00Z`) - SPEND_RETENTION_DAYS * 86_400_000).toISOString().slice(0, 10);
    this.db.prepare('DELETE FROM tenant_spend WHERE tenant = ? AND day < ?').run(tenant, oldest);
    return roundUsd(row.usd);
  }

  async get(tenant: string, day: string): Promise<number> {
    const row = this.db.prepare('SELECT usd FROM tenant_spend WHERE tenant = ? AND day = ?').get(tenant, day) as
      | { usd: number }
      | undefined;
    return row ? roundUsd(row.usd) : 0;
  }
}
