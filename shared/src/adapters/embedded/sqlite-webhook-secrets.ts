import type { DatabaseSync } from 'node:sqlite';
import type { WebhookSecretStore } from '../../ports/webhook-endpoints.ts';
import { liveSecrets, newWebhookSecret, rotatedSecrets, type StoredWebhookSecret } from '../../webhooks/webhook-secret.ts';
import { inImmediateTransaction } from './sqlite-database.ts';

/**
 * Tenants' webhook signing secrets in SQLite: one row per tenant holding its secrets as JSON.
 * Stored as they are (an HMAC key must be), so the database file is as sensitive as the secrets.
 */
export class SqliteWebhookSecrets implements WebhookSecretStore {
  private readonly db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.db = db;
    db.exec('CREATE TABLE IF NOT EXISTS webhook_secrets (tenant TEXT PRIMARY KEY, secrets TEXT NOT NULL) WITHOUT ROWID');
  }

  async signingSecrets(tenant: string, now: Date): Promise<string[]> {
    const live = liveSecrets(this.read(tenant), now);
    if (live.length > 0) return live;
    // Under the write lock, so two processes asking at once create one secret, not two.
    return inImmediateTransaction(this.db, () => {
      const again = liveSecrets(this.read(tenant), now);
      if (again.length > 0) return again;
      const fresh = newWebhookSecret();
      this.write(tenant, [{ secret: fresh, createdAt: now.toISOString(), expiresAt: null }]);
      return [fresh];
    });
  }

  async rotate(tenant: string, now: Date, overlapSeconds: number): Promise<string> {
    const fresh = newWebhookSecret();
    inImmediateTransaction(this.db, () => this.write(tenant, rotatedSecrets(this.read(tenant), fresh, now, overlapSeconds)));
    return fresh;
  }

  private read(tenant: string): StoredWebhookSecret[] {
    const row = this.db.prepare('SELECT secrets FROM webhook_secrets WHERE tenant = ?').get(tenant) as { secrets: string } | undefined;
    return row ? (JSON.parse(row.secrets) as StoredWebhookSecret[]) : [];
  }

  private write(tenant: string, secrets: StoredWebhookSecret[]): void {
    this.db
      .prepare('INSERT INTO webhook_secrets (tenant, secrets) VALUES (?, ?) ON CONFLICT (tenant) DO UPDATE SET secrets = excluded.secrets')
      .run(tenant, JSON.stringify(secrets));
  }
}
