import type { DatabaseSync } from 'node:sqlite';
import { applyQuotaChanges, type QuotaChanges, type TenantSettings } from '../../domain/tenant-quotas.ts';
import type { TenantSettingsStore } from '../../ports/tenant-settings.ts';
import { inImmediateTransaction } from './sqlite-database.ts';

/** Tenant settings in SQLite: one row per tenant, its quota overrides as JSON. */
export class SqliteTenantSettings implements TenantSettingsStore {
  private readonly db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.db = db;
    db.exec(`CREATE TABLE IF NOT EXISTS tenant_settings (
      tenant TEXT PRIMARY KEY,
      quotas TEXT NOT NULL,
      updated_at TEXT NOT NULL
    ) WITHOUT ROWID`);
  }

  async get(tenant: string): Promise<TenantSettings | null> {
    const row = this.db.prepare('SELECT tenant, quotas, updated_at FROM tenant_settings WHERE tenant = ?').get(tenant) as Row | undefined;
    return row ? fromRow(row) : null;
  }

  /** Read, change and write under the write lock: a racing update of another quota is not lost. */
  async update(tenant: string, changes: QuotaChanges, now: Date): Promise<TenantSettings> {
    return inImmediateTransaction(this.db, () => {
      const row = this.db.prepare('SELECT tenant, quotas, updated_at FROM tenant_settings WHERE tenant = ?').get(tenant) as Row | undefined;
      const next = applyQuotaChanges(row ? fromRow(row) : null, tenant, changes, now);
      this.db
        .prepare(
          `INSERT INTO tenant_settings (tenant, quotas, updated_at) VALUES (?, ?, ?)
           ON CONFLICT (tenant) DO UPDATE SET quotas = excluded.quotas, updated_at = excluded.updated_at`,
        )
        .run(tenant, JSON.stringify(next.quotas), next.updatedAt);
      return next;
    });
  }

  async list(): Promise<TenantSettings[]> {
    const rows = this.db.prepare('SELECT tenant, quotas, updated_at FROM tenant_settings ORDER BY tenant').all() as unknown as Row[];
    return rows.map(fromRow);
  }
}

interface Row {
  tenant: string;
  quotas: string;
  updated_at: string;
}

function fromRow(row: Row): TenantSettings {
  return { tenant: row.tenant, quotas: JSON.parse(row.quotas) as TenantSettings['quotas'], updatedAt: row.updated_at };
}
