import type { DatabaseSync } from 'node:sqlite';
import { ConflictError, NotFoundError } from '../../domain/errors.ts';
import type { WebhookEvent } from '../../domain/webhook-target.ts';
import type { WebhookEndpoint, WebhookEndpointStore } from '../../ports/webhook-endpoints.ts';

interface Row {
  endpoint_id: string;
  tenant: string;
  url: string;
  events: string;
  created_at: string;
  disabled_at: string | null;
  disabled_reason: string | null;
}

/** Tenants' default webhook endpoints in SQLite, one row each; every change is one conditional statement. */
export class SqliteWebhookEndpointStore implements WebhookEndpointStore {
  private readonly db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.db = db;
    db.exec(`CREATE TABLE IF NOT EXISTS webhook_endpoints (
      endpoint_id     TEXT PRIMARY KEY,
      tenant          TEXT NOT NULL,
      url             TEXT NOT NULL,
      events          TEXT NOT NULL,
      created_at      TEXT NOT NULL,
      disabled_at     TEXT,
      disabled_reason TEXT
    ) WITHOUT ROWID`);
    db.exec('CREATE INDEX IF NOT EXISTS webhook_endpoints_by_tenant ON webhook_endpoints (tenant, created_at)');
  }

  async add(endpoint: WebhookEndpoint): Promise<void> {
    const inserted = this.db
      .prepare(
        `INSERT INTO webhook_endpoints (endpoint_id, tenant, url, events, created_at, disabled_at, disabled_reason)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (endpoint_id) DO NOTHING`,
      )
      .run(
        endpoint.endpointId,
        endpoint.tenant,
        endpoint.url,
        JSON.stringify(endpoint.events),
        endpoint.createdAt,
        endpoint.disabledAt,
        endpoint.disabledReason,
      );
    if (Number(inserted.changes) === 0) throw new ConflictError(`webhook endpoint ${endpoint.endpointId} already exists`);
  }

  async list(tenant: string): Promise<WebhookEndpoint[]> {
    const rows = this.db
      .prepare('SELECT * FROM webhook_endpoints WHERE tenant = ? ORDER BY created_at ASC, endpoint_id ASC')
      .all(tenant) as unknown as Row[];
    return rows.map(fromRow);
  }

  async get(endpointId: string): Promise<WebhookEndpoint | null> {
    const row = this.db.prepare('SELECT * FROM webhook_endpoints WHERE endpoint_id = ?').get(endpointId) as Row | undefined;
    return row ? fromRow(row) : null;
  }

  async remove(tenant: string, endpointId: string): Promise<void> {
    const deleted = this.db.prepare('DELETE FROM webhook_endpoints WHERE endpoint_id = ? AND tenant = ?').run(endpointId, tenant);
    if (Number(deleted.changes) === 0) throw new NotFoundError(`tenant ${tenant} has no webhook endpoint ${endpointId}`);
  }

  async disable(endpointId: string, reason: string, now: Date): Promise<void> {
    this.db
      .prepare('UPDATE webhook_endpoints SET disabled_at = ?, disabled_reason = ? WHERE endpoint_id = ? AND disabled_at IS NULL')
      .run(now.toISOString(), reason, endpointId);
  }
}

function fromRow(row: Row): WebhookEndpoint {
  return {
    endpointId: row.endpoint_id,
    tenant: row.tenant,
    url: row.url,
    events: JSON.parse(row.events) as WebhookEvent[],
    createdAt: row.created_at,
    disabledAt: row.disabled_at,
    disabledReason: row.disabled_reason,
  };
}
