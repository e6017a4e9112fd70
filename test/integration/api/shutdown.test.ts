import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { startApi } from '@agent-runner/api/main.ts';
import type { Backend } from '@agent-runner/shared/compose/backend.ts';
import { createBackend } from '@agent-runner/shared/compose/create-backend.ts';
import { loadConfig, type Config } from '@agent-runner/shared/config/config.ts';
import { createLogger } from '@agent-runner/shared/observability/logger.ts';
import type { JobStore } from '@agent-runner/shared/ports/job-store.ts';

const log = createLogger('api-test', 'silent');

describe('closing the API', () => {
  let dataDir: string;
  let config: Config;
  let backend: Backend;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'agent-runner-api-close-'));
    config = loadConfig({ AGENT_RUNNER_DATA_DIR: dataDir, AGENT_RUNNER_PORT: '0' });
    backend = await createBackend(config);
  });
  afterAll(async () => {
    await backend.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('lets a request in progress finish, then refuses new connections', async () => {
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const jobs = backend.jobs;
    const slowStore: JobStore = {
      create: (job) => jobs.create(job),
      get: async (jobId) => {
        entered();
        await gate;
        return jobs.get(jobId);
      },
      getMany: (jobIds) => jobs.getMany(jobIds),
      list: (query) => jobs.list(query),
      update: (...args) => jobs.update(...args),
      delete: (...args) => jobs.delete(...args),
      listByStatus: (...args) => jobs.listByStatus(...args),
      listCreatedBetween: (query) => jobs.listCreatedBetween(query),
      findIdempotencyRecord: (...args) => jobs.findIdempotencyRecord(...args),
      releaseIdempotencyRecord: (...args) => jobs.releaseIdempotencyRecord(...args),
    };
    const api = await startApi(config, { ...backend, jobs: slowStore }, log, { drainMs: 30_000 });

    const pending = fetch(`${api.url}/jobs/01ARZ3NDEKTSV4RRFFQ69G5FAV`);
    await inside;
    let closed = false;
    const closing = api.close().then(() => (closed = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(closed, false, 'close waits for the request in progress');
    release();
    assert.equal((await pending).status, 404);
    await closing;
    await assert.rejects(fetch(`${api.url}/healthz`));
  });

  test('cuts live event streams at once instead of waiting out the drain time', async () => {
    const api = await startApi(config, backend, log, { drainMs: 30_000 });
    const submitted = await fetch(`${api.url}/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ job_type: 'echo', payload: { message: 'stream me' } }),
    });
    const { links } = (await submitted.json()) as { links: { events: string } };
    const stream = await fetch(`${api.url}${links.events}`);
    assert.equal(stream.status, 200);
    const reader = stream.body!.getReader();
    await reader.read(); // the stream has begun (a queued job's stream stays open)

    const started = Date.now();
    await api.close();
    assert.ok(Date.now() - started < 5_000, `close took ${Date.now() - started} ms`);
    await assert.rejects(async () => {
      for (;;) if ((await reader.read()).done) throw new Error('ended');
    });
  });
});
