import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { CURRENT_SCHEMA_VERSION, openSqliteDatabase, schemaVersion } from '@agent-runner/shared/adapters/embedded/sqlite-database.ts';
import { SqliteJobStore } from '@agent-runner/shared/adapters/embedded/sqlite-job-store.ts';
import { ValidationError } from '@agent-runner/shared/domain/errors.ts';
import { ulid } from '@agent-runner/shared/domain/ids.ts';
import { createJobRecord } from '@agent-runner/shared/domain/job.ts';

const ACTOR = fileURLToPath(new URL('../support/embedded-actor.ts', import.meta.url));
const run = promisify(execFile);
const actor = async (...args: string[]) =>
  (await run(process.execPath, ['--disable-warning=ExperimentalWarning', ACTOR, ...args], { encoding: 'utf8' })).stdout.trim();

describe('SQLite job store (embedded only)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'agent-runner-store-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('processes opening a new data dir at once all find the schema at its current version', async () => {
    const fresh = join(dir, 'fresh');
    // Each actor opens (and so migrates) the new database, then writes to it; none may trip over another's half-made schema.
    await Promise.all(Array.from({ length: 4 }, () => actor('enqueue', fresh, ulid(new Date()))));
    const db = openSqliteDatabase(fresh);
    try {
      assert.equal(schemaVersion(db), CURRENT_SCHEMA_VERSION);
      assert.equal((db.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode, 'wal');
      assert.equal((db.prepare('SELECT count(*) AS n FROM queue_messages').get() as { n: number }).n, 4);
    } finally {
      db.close();
    }
  });

  test('of six processes racing on one version exactly one wins', async () => {
    const db = openSqliteDatabase(dir);
    const store = new SqliteJobStore(db);
    const now = new Date();
    const job = createJobRecord(
      ulid(now),
      { jobType: 'echo', payload: {}, priority: 'normal', tenant: 't', orderingKey: null, maxAttempts: 1, timeoutSeconds: 60 },
      now,
      { payload: {}, payloadRef: null },
    );
    await store.create(job);
    // Start together: each process sleeps until the same moment, then writes.
    const startAt = String(Date.now() + 1500);
    const outputs = await Promise.all(Array.from({ length: 6 }, () => actor('update', dir, job.jobId, startAt)));
    assert.deepEqual(outputs.filter((o) => o === 'won').length, 1, outputs.join(', '));
    assert.deepEqual(outputs.filter((o) => o === 'conflict').length, 5, outputs.join(', '));
    const stored = await store.get(job.jobId);
    assert.equal(stored?.version, 2);
    assert.equal(stored?.status, 'DISPATCHED');
    db.close();
  });

  test('a write may not change the store-owned fields', async () => {
    const db = openSqliteDatabase(dir);
    try {
      const store = new SqliteJobStore(db);
      const changes = { version: 99 } as unknown as Parameters<SqliteJobStore['update']>[2];
      await assert.rejects(store.update('x', { status: ['QUEUED'] }, changes, new Date()), ValidationError);
    } finally {
      db.close();
    }
  });
});
