import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { startApi, type RunningApi } from '@agent-runner/api/main.ts';
import type { Backend } from '@agent-runner/shared/compose/backend.ts';
import { createBackend } from '@agent-runner/shared/compose/create-backend.ts';
import { createLogger } from '@agent-runner/shared/observability/logger.ts';
import type { JobQueue } from '@agent-runner/shared/ports/job-queue.ts';
import { backendsUnderTest, openBackend, type OpenedBackend } from '../../support/backends.ts';
import { PROBLEM_JSON } from './api-fixture.ts';

function submit(url: string, body: unknown, key: string | null, text?: string): Promise<Response> {
  return fetch(`${url}/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key !== null ? { 'idempotency-key': key } : {}) },
    body: text ?? JSON.stringify(body),
  });
}

for (const target of backendsUnderTest()) {
  describe(`Idempotency-Key on POST /jobs, two API instances (${target.name})`, () => {
    let opened: OpenedBackend;
    let secondBackend: Backend;
    let apis: RunningApi[];
    let urls: [string, string];
    beforeAll(async () => {
      opened = await openBackend(target, { AGENT_RUNNER_PORT: '0' });
      // A second instance with its own connections to the same store and queue, as a second process has.
      secondBackend = await createBackend(opened.config);
      const log = createLogger('api-test', 'silent');
      apis = [await startApi(opened.config, opened.backend, log), await startApi(opened.config, secondBackend, log)];
      urls = [apis[0]!.url, apis[1]!.url];
    });
    afterAll(async () => {
      await Promise.all(apis.map((api) => api.close()));
      await secondBackend?.close();
      await opened?.close();
    });

    /** The stored jobs whose echo message is `marker`. */
    async function jobsMarked(marker: string): Promise<string[]> {
      const { jobs } = await opened.backend.jobs.list({ limit: 1000 });
      return jobs.filter((j) => (j.payload as { message?: unknown } | null)?.message === marker).map((j) => j.jobId);
    }

    test('a repeat with the same key and body (keys reordered, other spacing) replays the job: 200, same id, nothing new', async () => {
      const marker = randomUUID();
      const key = `"${randomUUID()}"`;
      const first = await submit(urls[0], { job_type: 'echo', payload: { message: marker }, priority: 'high' }, key);
      assert.equal(first.status, 202, await first.clone().text());
      assert.equal(first.headers.get('idempotent-replayed'), null);
      const created = (await first.json()) as { job_id: string };
      const depth = await opened.backend.queue.depth();

      const repeat = await submit(urls[1], null, key, `{ "priority": "high", "payload": {"message": "${marker}"},  "job_type": "echo" }`);
      assert.equal(repeat.status, 200, await repeat.clone().text());
      assert.equal(repeat.headers.get('idempotent-replayed'), 'true');
      assert.equal(repeat.headers.get('location'), `/jobs/${created.job_id}`);
      assert.equal(((await repeat.json()) as { job_id: string }).job_id, created.job_id);
      assert.deepEqual(await jobsMarked(marker), [created.job_id]);
      assert.deepEqual(await opened.backend.queue.depth(), depth, 'nothing more was enqueued');
    });

    test('the same key with another body is a 422 problem and creates nothing', async () => {
      const marker = randomUUID();
      const key = randomUUID();
      const first = await submit(urls[0], { job_type: 'echo', payload: { message: marker } }, key);
      assert.equal(first.status, 202);
      const other = await submit(urls[1], { job_type: 'echo', payload: { message: marker }, priority: 'low' }, key);
      assert.equal(other.status, 422);
      assert.equal(other.headers.get('content-type'), PROBLEM_JSON);
      const problem = (await other.json()) as { type: string; detail: string };
      assert.equal(problem.type, 'urn:agent-runner:problem:idempotency-key-reused');
      assert.match(problem.detail, /different request/);
      assert.equal((await jobsMarked(marker)).length, 1);
    });

    test('twelve racing requests with one key over both instances create one job; every answer names it', async () => {
      const marker = randomUUID();
      const key = randomUUID();
      const body = { job_type: 'echo', payload: { message: marker } };
      const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => submit(urls[i % 2]!, body, key)));
      const statuses = answers.map((r) => r.status).sort();
      assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 202], 'one creates, the others replay');
      const ids = new Set(await Promise.all(answers.map(async (r) => ((await r.json()) as { job_id: string }).job_id)));
      assert.equal(ids.size, 1);
      assert.deepEqual(await jobsMarked(marker), [...ids]);
    });

    test('a submission whose enqueue failed (503, undone) leaves its key free: the retry creates the job', async () => {
      const queue = opened.backend.queue;
      const failingQueue: JobQueue = { enqueue: () => Promise.reject(new Error('queue down')), depth: () => queue.depth() };
      const broken = await startApi(opened.config, { ...opened.backend, queue: failingQueue }, createLogger('api-test', 'silent'));
      apis.push(broken);
      const marker = randomUUID();
      const key = randomUUID();
      const body = { job_type: 'echo', payload: { message: marker } };
      const failed = await submit(broken.url, body, key);
      assert.equal(failed.status, 503);
      assert.deepEqual(await jobsMarked(marker), [], 'the job was undone');
      assert.equal(
        await opened.backend.jobs.findIdempotencyRecord(opened.config.defaults.tenant, key, new Date()),
        null,
        'and its key freed',
      );
      const retried = await submit(urls[0], body, key);
      assert.equal(retried.status, 202, await retried.clone().text());
      assert.equal((await jobsMarked(marker)).length, 1);
    });

    test('a key whose record outlived its undone job is freed by the next request with it', async () => {
      const marker = randomUUID();
      const key = randomUUID();
      const body = { job_type: 'echo', payload: { message: marker } };
      const first = (await (await submit(urls[0], body, key)).json()) as { job_id: string };
      // What a failed release leaves behind: the record, naming a job that is gone.
      await opened.backend.jobs.delete(first.job_id, { status: ['QUEUED'] });
      const again = await submit(urls[1], body, key);
      assert.equal(again.status, 202, await again.clone().text());
      const created = (await again.json()) as { job_id: string };
      assert.notEqual(created.job_id, first.job_id);
      assert.equal(
        (await opened.backend.jobs.findIdempotencyRecord(opened.config.defaults.tenant, key, new Date()))?.jobId,
        created.job_id,
      );
    });

    test('keys are per tenant: another tenant with the same key gets its own job', async () => {
      const marker = randomUUID();
      const key = randomUUID();
      const a = await submit(urls[0], { job_type: 'echo', payload: { message: marker }, tenant: 'tenant-a' }, key);
      const b = await submit(urls[0], { job_type: 'echo', payload: { message: marker }, tenant: 'tenant-b' }, key);
      assert.deepEqual([a.status, b.status], [202, 202]);
      assert.equal((await jobsMarked(marker)).length, 2);
    });

    test('a malformed key is a 400 problem naming the header; no key at all submits as before', async () => {
      const marker = randomUUID();
      for (const bad of ['"unterminated', '"' + 'k'.repeat(256) + '"', 'has space', '""']) {
        const res = await submit(urls[0], { job_type: 'echo', payload: { message: marker } }, bad);
        assert.equal(res.status, 400, bad);
        const problem = (await res.json()) as { type: string; errors: { path: string }[] };
        assert.equal(problem.type, 'urn:agent-runner:problem:invalid-idempotency-key');
        assert.deepEqual(
          problem.errors.map((e) => e.path),
          ['Idempotency-Key'],
        );
      }
      assert.equal((await jobsMarked(marker)).length, 0);
      const plain = [
        await submit(urls[0], { job_type: 'echo', payload: { message: marker } }, null),
        await submit(urls[0], { job_type: 'echo', payload: { message: marker } }, null),
      ];
      assert.deepEqual(
        plain.map((r) => r.status),
        [202, 202],
      );
      assert.equal((await jobsMarked(marker)).length, 2);
    });
  });
}
