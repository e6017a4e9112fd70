import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { ConflictError, NotFoundError } from '../../domain/errors.ts';
import type { Pipeline, PipelineChanges, PipelineExpectation } from '../../domain/pipeline.ts';
import type { WebhookDelivery } from '../../domain/webhook-delivery.ts';
import type { IdempotencyRecord } from '../../ports/job-store.ts';
import type { PipelineStore } from '../../ports/pipeline-store.ts';
import { inImmediateTransaction } from './sqlite-database.ts';
import { claimIdempotencyKey, ensureIdempotencyKeysTable } from './sqlite-idempotency-keys.ts';
import { statementCache } from './statement-cache.ts';
import { ensureWebhookDeliveriesTable, insertWebhookDeliveries } from './sqlite-webhook-deliveries.ts';

/**
 * Pipelines in SQLite: one row each, the record as a JSON document beside the columns writes
 * condition on. Every change is one conditional UPDATE.
 */
export class SqlitePipelineStore implements PipelineStore {
  private readonly db: DatabaseSync;
  private readonly sql: (sql: string) => StatementSync;

  constructor(db: DatabaseSync) {
    this.db = db;
    this.sql = statementCache(db);
    // Created here, as the lease and idempotency tables are, rather than by a numbered migration.
    db.exec(`CREATE TABLE IF NOT EXISTS pipelines (
      pipeline_id TEXT PRIMARY KEY,
      status      TEXT NOT NULL,
      version     INTEGER NOT NULL,
      doc         TEXT NOT NULL
    ) WITHOUT ROWID`);
    db.exec('CREATE INDEX IF NOT EXISTS pipelines_by_status ON pipelines (status, pipeline_id)');
    ensureWebhookDeliveriesTable(db);
    ensureIdempotencyKeysTable(db);
  }

  async create(pipeline: Pipeline, idempotency?: IdempotencyRecord): Promise<void> {
    const insert = () => {
      const inserted = this.sql(
        'INSERT INTO pipelines (pipeline_id, status, version, doc) VALUES (?, ?, ?, ?) ON CONFLICT (pipeline_id) DO NOTHING',
      ).run(pipeline.pipelineId, pipeline.status, pipeline.version, JSON.stringify(pipeline));
      if (Number(inserted.changes) === 0) throw new ConflictError(`pipeline ${pipeline.pipelineId} already exists`);
    };
    if (!idempotency) return insert();
    const record = idempotency;
    // The key and the pipeline it names commit together: a key never names a pipeline that is not.
    inImmediateTransaction(this.db, () => {
      claimIdempotencyKey(this.sql, record, pipeline.createdAt);
      insert();
    });
  }

  async get(pipelineId: string): Promise<Pipeline | null> {
    const row = this.db.prepare('SELECT doc FROM pipelines WHERE pipeline_id = ?').get(pipelineId) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as Pipeline) : null;
  }

  async update(
    pipelineId: string,
    expect: PipelineExpectation,
    changes: PipelineChanges,
    now: Date,
    owed: readonly WebhookDelivery[] = [],
  ): Promise<Pipeline> {
    if (owed.length === 0) return this.updatePipeline(pipelineId, expect, changes, now);
    // The pipeline's end and the deliveries it owes commit together or not at all.
    return inImmediateTransaction(this.db, () => {
      const written = this.updatePipeline(pipelineId, expect, changes, now);
      insertWebhookDeliveries(this.db, owed);
      return written;
    });
  }

  private updatePipeline(pipelineId: string, expect: PipelineExpectation, changes: PipelineChanges, now: Date): Pipeline {
    const row = this.db.prepare('SELECT doc FROM pipelines WHERE pipeline_id = ?').get(pipelineId) as { doc: string } | undefined;
    const found = row ? (JSON.parse(row.doc) as Pipeline) : null;
    if (!found) throw new NotFoundError(`pipeline ${pipelineId} not found`);
    const next: Pipeline = { ...found, ...changes, version: found.version + 1, updatedAt: now.toISOString() };
    // The whole document is replaced, so the condition is on the version read just now as well as
    // on what the caller expects: a writer in between makes this change nothing.
    const statuses = expect.status.map(() => '?').join(', ');
    const written = this.db
      .prepare(
        `UPDATE pipelines SET doc = ?, status = ?, version = ?
         WHERE pipeline_id = ? AND version = ? AND status IN (${statuses}) ${expect.version !== undefined ? 'AND version = ?' : ''}`,
      )
      .run(
        JSON.stringify(next),
        next.status,
        next.version,
        pipelineId,
        found.version,
        ...expect.status,
        ...(expect.version !== undefined ? [expect.version] : []),
      );
    if (Number(written.changes) === 0) {
      throw new ConflictError(`pipeline ${pipelineId} is ${found.status} v${found.version}; expected ${expect.status.join('|')}`);
    }
    return next;
  }

  async listRunning(limit: number): Promise<Pipeline[]> {
    const rows = this.db
      .prepare("SELECT doc FROM pipelines WHERE status = 'RUNNING' ORDER BY pipeline_id ASC LIMIT ?")
      .all(Math.max(1, Math.floor(limit))) as { doc: string }[];
    return rows.map((r) => JSON.parse(r.doc) as Pipeline);
  }
}
