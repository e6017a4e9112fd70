import type { DatabaseSync } from 'node:sqlite';
import { ConflictError, NotFoundError } from '../../domain/errors.ts';
import type { WebhookAttemptOutcome, WebhookDelivery, WebhookSubjectKind } from '../../domain/webhook-delivery.ts';
import type { WebhookDeliveryStore } from '../../ports/webhook-deliveries.ts';

/**
 * Creates the outbox table when absent. Called by the job store too, which writes a job's
 * deliveries in the transaction that ends it. The delivery is a JSON document; the columns beside
 * it are what writes condition on and what the due scan reads (ISO times in UTC sort as text).
 */
export function ensureWebhookDeliveriesTable(db: DatabaseSync): void {
  db.exec(`CREATE TABLE IF NOT EXISTS webhook_deliveries (
    delivery_id     TEXT PRIMARY KEY,
    subject_kind    TEXT NOT NULL,
    subject_id      TEXT NOT NULL,
    status          TEXT NOT NULL,
    next_attempt_at TEXT,
    version         INTEGER NOT NULL,
    doc             TEXT NOT NULL
  ) WITHOUT ROWID`);
  db.exec('CREATE INDEX IF NOT EXISTS webhook_deliveries_by_subject ON webhook_deliveries (subject_kind, subject_id, delivery_id)');
  db.exec("CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'PENDING'");
}

/**
 * Inserts new deliveries; the caller runs this inside the transaction of the write that owes them.
 * An id already present is a conflict: one event is owed once.
 */
export function insertWebhookDeliveries(db: DatabaseSync, deliveries: readonly WebhookDelivery[]): void {
  const insert = db.prepare(
    `INSERT INTO webhook_deliveries (delivery_id, subject_kind, subject_id, status, next_attempt_at, version, doc)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  for (const d of deliveries) insert.run(d.deliveryId, d.subjectKind, d.subjectId, d.status, d.nextAttemptAt, d.version, JSON.stringify(d));
}

export class SqliteWebhookDeliveries implements WebhookDeliveryStore {
  private readonly db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.db = db;
    ensureWebhookDeliveriesTable(db);
  }

  async listBySubject(kind: WebhookSubjectKind, subjectId: string): Promise<WebhookDelivery[]> {
    const rows = this.db
      .prepare('SELECT doc FROM webhook_deliveries WHERE subject_kind = ? AND subject_id = ? ORDER BY delivery_id')
      .all(kind, subjectId) as { doc: string }[];
    return rows.map((r) => JSON.parse(r.doc) as WebhookDelivery);
  }

  async get(deliveryId: string): Promise<WebhookDelivery | null> {
    const row = this.db.prepare('SELECT doc FROM webhook_deliveries WHERE delivery_id = ?').get(deliveryId) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as WebhookDelivery) : null;
  }

  async claim(deliveryId: string, expectVersion: number, leaseUntil: Date): Promise<WebhookDelivery> {
    return this.write(deliveryId, expectVersion, { nextAttemptAt: leaseUntil.toISOString() }, "status = 'PENDING'");
  }

  async recordAttempt(deliveryId: string, expectVersion: number, outcome: WebhookAttemptOutcome): Promise<WebhookDelivery> {
    const current = await this.get(deliveryId);
    if (!current) throw new NotFoundError(`webhook delivery ${deliveryId} not found`);
    return this.write(deliveryId, expectVersion, {
      status: outcome.status,
      nextAttemptAt: outcome.nextAttemptAt,
      deliveredAt: outcome.deliveredAt,
      attempts: [...current.attempts, outcome.attempt],
    });
  }

  async listDue(dueBy: Date, limit: number): Promise<WebhookDelivery[]> {
    const rows = this.db
      .prepare("SELECT doc FROM webhook_deliveries WHERE status = 'PENDING' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?")
      .all(dueBy.toISOString(), Math.max(1, Math.floor(limit))) as { doc: string }[];
    return rows.map((r) => JSON.parse(r.doc) as WebhookDelivery);
  }

  async retryNow(deliveryId: string, now: Date): Promise<WebhookDelivery> {
    const current = await this.get(deliveryId);
    if (!current) throw new NotFoundError(`webhook delivery ${deliveryId} not found`);
    return this.write(deliveryId, current.version, { status: 'PENDING', nextAttemptAt: now.toISOString() });
  }

  /** One conditional UPDATE of the document and the columns beside it, iff the version (and `extra`) still hold. */
  private write(
    deliveryId: string,
    expectVersion: number,
    changes: Partial<Pick<WebhookDelivery, 'status' | 'nextAttemptAt' | 'deliveredAt' | 'attempts'>>,
    extra = '1 = 1',
  ): WebhookDelivery {
    const current = this.db.prepare('SELECT doc FROM webhook_deliveries WHERE delivery_id = ?').get(deliveryId) as
      | { doc: string }
      | undefined;
    if (!current) throw new NotFoundError(`webhook delivery ${deliveryId} not found`);
    const next: WebhookDelivery = { ...(JSON.parse(current.doc) as WebhookDelivery), ...changes, version: expectVersion + 1 };
    const written = this.db
      .prepare(
        `UPDATE webhook_deliveries SET status = ?, next_attempt_at = ?, version = ?, doc = ?
         WHERE delivery_id = ? AND version = ? AND ${extra}`,
      )
      .run(next.status, next.nextAttemptAt, next.version, JSON.stringify(next), deliveryId, expectVersion);
    if (Number(written.changes) === 0) throw new ConflictError(`webhook delivery ${deliveryId} is no longer at version ${expectVersion}`);
    return next;
  }
}
