/**
 * An .agent-runner database made before job records had `usage` and `rateLimits` keeps working:
 * opening it migrates every record to carry both as null, and the new fields can then be written.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, test } from 'vitest';
import { CURRENT_SCHEMA_VERSION, openSqliteDatabase, schemaVersion } from '@agent-runner/shared/adapters/embedded/sqlite-database.ts';
import { SqliteJobStore } from '@agent-runner/shared/adapters/embedded/sqlite-job-store.ts';
import { ulid } from '@agent-runner/shared/domain/ids.ts';
import { createJobRecord } from '@agent-runner/shared/domain/job.ts';

const dir = mkdtempSync(join(tmpdir(), 'agent-runner-migration-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('records written before usage existed read back with usage and rateLimits null, and take them after', async () => {
  const now = new Date();
  const job = createJobRecord(
    ulid(now),
    {
      jobType: 'claude_chat',
      payload: { prompt: 'hi' },
      priority: 'normal',
      tenant: 'acme',
      orderingKey: null,
      maxAttempts: 3,
      timeoutSeconds: 60,
    },
    now,
    { payload: { prompt: 'hi' }, payloadRef: null },
  );
  const { usage: _usage, rateLimits: _rateLimits, webhooks: _webhooks, ...oldRecord } = job;

  // The database as the previous build left it: schema version 1, records without the new fields.
  const old = openSqliteDatabase(dir);
  old
    .prepare('INSERT INTO jobs (job_id, status, job_type, created_at, version, attempt, doc) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .run(job.jobId, job.status, job.jobType, job.createdAt, job.version, job.attempt, JSON.stringify(oldRecord));
  old.exec('PRAGMA user_version = 1');
  old.close();

  const db = openSqliteDatabase(dir);
  try {
    assert.equal(schemaVersion(db), CURRENT_SCHEMA_VERSION);
    assert.ok(CURRENT_SCHEMA_VERSION >= 2);
    const store = new SqliteJobStore(db);
    assert.deepEqual(await store.get(job.jobId), job, 'exactly the record, with usage: null and rateLimits: null');
    const usage = {
      calls: 1,
      input_tokens: 10,
      output_tokens: 5,
      cache_write_tokens: 0,
      cache_read_tokens: 0,
      cost_usd: 0.000_07,
      by_model: {},
    };
    const written = await store.update(
      job.jobId,
      { status: ['QUEUED'], version: 1 },
      { usage, rateLimits: { 'requests-remaining': '7' } },
      new Date(),
    );
    assert.deepEqual((await store.get(job.jobId))?.usage, usage);
    assert.deepEqual(await store.get(job.jobId), written);
  } finally {
    db.close();
  }
});
