import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { Backend } from '@agent-runner/shared/compose/backend.ts';
import { UnavailableError } from '@agent-runner/shared/domain/errors.ts';
import { ulid } from '@agent-runner/shared/domain/ids.ts';
import type { JobQueue } from '@agent-runner/shared/ports/job-queue.ts';
import type { JobStore } from '@agent-runner/shared/ports/job-store.ts';
import { PROBLEM_JSON, postJson, startApiUnderTest, type ApiUnderTest } from './api-fixture.ts';

/** The backend with some ports swapped; everything else is the real embedded one. */
function replacing(backend: Backend, parts: { queue?: JobQueue; jobs?: JobStore }): Backend {
  return {
    name: backend.name,
    jobs: parts.jobs ?? backend.jobs,
    queue: parts.queue ?? backend.queue,
    blobs: backend.blobs,
    secrets: backend.secrets,
    leases: backend.leases,
    events: backend.events,
    apiKeys: backend.apiKeys,
    tenants: backend.tenants,
    tenantSpend: backend.tenantSpend,
    queuedJobs: backend.queuedJobs,
    pipelines: backend.pipelines,
    webhookEndpoints: backend.webhookEndpoints,
    webhookDeliveries: backend.webhookDeliveries,
    webhookQueue: backend.webhookQueue,
    webhookSecrets: backend.webhookSecrets,
    createFeed: (options) => backend.createFeed(options),
    createLauncher: () => backend.createLauncher(),
    close: () => backend.close(),
  };
}

describe('when a dependency fails', () => {
  let api: ApiUnderTest;
  beforeAll(async () => {
    api = await startApiUnderTest({ AGENT_RUNNER_INLINE_LIMIT_BYTES: '100' });
  });
  afterAll(() => api.stop());

  test('a queue that cannot take the message: 503 problem, and the recorded job and its payload blob are undone', async () => {
    // The embedded queue is a table in the same SQLite file as the jobs: nothing outside the process
    // can make its enqueue fail while the job store works. A wrapper that throws is the only way to
    // reach this boundary, and it throws what the queue port promises: UnavailableError.
    const failingQueue: JobQueue = {
      enqueue: () => Promise.reject(new UnavailableError('queue endpoint unreachable: ECONNREFUSED 10.0.0.7')),
      depth: () => api.backend.queue.depth(),
    };
    const ids: string[] = [];
    const url = await api.startVariant((backend) => replacing(backend, { queue: failingQueue }), {
      newId: (now) => {
        const id = ulid(now);
        ids.push(id);
        return id;
      },
    });
    const before = await api.snapshot();

    const res = await postJson(
      `${url}/jobs`,
      { job_type: 'echo', payload: { message: 'x'.repeat(200) } },
      { 'x-request-id': 'enqueue-fails' },
    );
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('content-type'), PROBLEM_JSON);
    assert.ok(Number(res.headers.get('retry-after')) > 0);
    assert.equal(res.headers.get('location'), null);
    const text = await res.text();
    const problem = JSON.parse(text) as Record<string, unknown>;
    assert.equal(problem.status, 503);
    assert.equal(problem.request_id, 'enqueue-fails');
    assert.doesNotMatch(text, /ECONNREFUSED|10\.0\.0\.7|enqueued/, 'a 5xx body says nothing of the cause');

    assert.equal(ids.length, 1);
    const jobId = ids[0]!;
    assert.equal(await api.backend.jobs.get(jobId), null, 'the record is gone');
    assert.equal(await api.backend.blobs.get(`payloads/${jobId}.json`), null, 'the payload blob is gone');
    assert.deepEqual(await api.snapshot(), before);

    const line = api.logs.find((l) => l.request_id === 'enqueue-fails');
    assert.equal(line?.status, 503);
    assert.match(JSON.stringify(line?.err), /ECONNREFUSED 10\.0\.0\.7/, 'the cause is in the log');
  });

  test('an unexpected error: 500 problem with a generic body; the details go to the log only', async () => {
    const brokenStore: JobStore = {
      create: () => Promise.reject(new Error('disk I/O error at /var/lib/secret-path')),
      get: () => Promise.reject(new Error('disk I/O error at /var/lib/secret-path')),
      getMany: () => Promise.reject(new Error('disk I/O error at /var/lib/secret-path')),
      list: (query) => api.backend.jobs.list(query),
      update: (...args) => api.backend.jobs.update(...args),
      delete: (...args) => api.backend.jobs.delete(...args),
      listByStatus: (...args) => api.backend.jobs.listByStatus(...args),
      listCreatedBetween: (query) => api.backend.jobs.listCreatedBetween(query),
      findIdempotencyRecord: (...args) => api.backend.jobs.findIdempotencyRecord(...args),
      releaseIdempotencyRecord: (...args) => api.backend.jobs.releaseIdempotencyRecord(...args),
    };
    const url = await api.startVariant((backend) => replacing(backend, { jobs: brokenStore }));
    const before = await api.snapshot();

    for (const [method, path] of [
      ['POST', '/jobs'],
      ['GET', '/jobs/01ARZ3NDEKTSV4RRFFQ69G5FAV'],
    ] as const) {
      const requestId = `broken-${method}`;
      const res =
        method === 'POST'
          ? await postJson(`${url}${path}`, { job_type: 'echo', payload: { message: 'x' } }, { 'x-request-id': requestId })
          : await fetch(`${url}${path}`, { headers: { 'x-request-id': requestId } });
      assert.equal(res.status, 500, path);
      assert.equal(res.headers.get('content-type'), PROBLEM_JSON);
      const text = await res.text();
      assert.doesNotMatch(text, /disk|secret-path/);
      assert.equal((JSON.parse(text) as Record<string, unknown>).type, 'about:blank');
      const line = api.logs.find((l) => l.request_id === requestId);
      assert.equal(line?.level, 50, 'logged as an error');
      assert.match(JSON.stringify(line?.err), /secret-path/);
    }
    assert.deepEqual(await api.snapshot(), before);
  });
});
