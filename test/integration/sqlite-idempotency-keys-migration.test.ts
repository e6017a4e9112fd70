/**
 * An .agent-runner database whose idempotency_keys table predates pipeline keys (no pipeline_id
 * column) keeps working: opening the stores adds the column, an old record reads back as a plain
 * job's, and a pipeline can then be recorded with a key.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, test } from 'vitest';
import { openSqliteDatabase } from '@agent-runner/shared/adapters/embedded/sqlite-database.ts';
import { SqliteJobStore } from '@agent-runner/shared/adapters/embedded/sqlite-job-store.ts';
import { SqlitePipelineStore } from '@agent-runner/shared/adapters/embedded/sqlite-pipeline-store.ts';
import { ulid } from '@agent-runner/shared/domain/ids.ts';
import type { Pipeline } from '@agent-runner/shared/domain/pipeline.ts';

const dir = mkdtempSync(join(tmpdir(), 'agent-runner-idem-migration-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('an idempotency_keys table without pipeline_id gains it; old records read back, pipeline keys can be written', async () => {
  const now = new Date();
  const expires = new Date(now.getTime() + 3_600_000).toISOString();
  const oldJobId = ulid(now);
  // The table as the previous build made it, with one record in it.
  const old = openSqliteDatabase(dir);
  old.exec(`CREATE TABLE idempotency_keys (
    tenant TEXT NOT NULL, key TEXT NOT NULL, request_hash TEXT NOT NULL, job_id TEXT NOT NULL,
    created_at TEXT NOT NULL, expires_at TEXT NOT NULL, PRIMARY KEY (tenant, key)) WITHOUT ROWID`);
  old
    .prepare('INSERT INTO idempotency_keys VALUES (?, ?, ?, ?, ?, ?)')
    .run('acme', 'old-key', 'a'.repeat(64), oldJobId, now.toISOString(), expires);
  old.close();

  const db = openSqliteDatabase(dir);
  try {
    const jobs = new SqliteJobStore(db);
    const pipelines = new SqlitePipelineStore(db);
    assert.deepEqual(await jobs.findIdempotencyRecord('acme', 'old-key', now), {
      tenant: 'acme',
      key: 'old-key',
      requestHash: 'a'.repeat(64),
      jobId: oldJobId,
      createdAt: now.toISOString(),
      expiresAt: expires,
    });
    const at = now.toISOString();
    const pipeline: Pipeline = {
      pipelineId: ulid(now),
      tenant: 'acme',
      keyId: null,
      status: 'RUNNING',
      version: 1,
      createdAt: at,
      updatedAt: at,
      finishedAt: null,
      materialised: false,
      cancelRequested: false,
      webhooks: [],
      steps: [],
    };
    const record = {
      tenant: 'acme',
      key: 'new-key',
      requestHash: 'b'.repeat(64),
      jobId: ulid(now),
      pipelineId: pipeline.pipelineId,
      createdAt: at,
      expiresAt: expires,
    };
    await pipelines.create(pipeline, record);
    assert.deepEqual(await jobs.findIdempotencyRecord('acme', 'new-key', now), record);
    // A second store on the same file (another process) finds the column there and adds nothing.
    assert.doesNotThrow(() => new SqlitePipelineStore(db));
  } finally {
    db.close();
  }
});
