/**
 * Idempotency-Key on POST /pipelines and on POST /jobs with `then`, on both backends, over two API
 * instances sharing one store: a repeat replays, another body is refused and records nothing, keys
 * are per tenant, racing requests record one pipeline, and a request that died after recording
 * (before its step jobs were created or its answer sent) is replayed, never recorded twice.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { startApi, type RunningApi } from '@agent-runner/api/main.ts';
import type { Backend } from '@agent-runner/shared/compose/backend.ts';
import { createBackend } from '@agent-runner/shared/compose/create-backend.ts';
import type { Pipeline } from '@agent-runner/shared/domain/pipeline.ts';
import { createLogger } from '@agent-runner/shared/observability/logger.ts';
import type { JobStore } from '@agent-runner/shared/ports/job-store.ts';
import { backendsUnderTest, openBackend, type OpenedBackend } from '../../support/backends.ts';
import { PROBLEM_JSON } from './api-fixture.ts';

function post(url: string, path: string, body: unknown, key: string | null, text?: string): Promise<Response> {
  return fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key !== null ? { 'idempotency-key': key } : {}) },
    body: text ?? JSON.stringify(body),
  });
}

/** A two-step pipeline whose first step's echo message is `marker`. */
const pipelineBody = (marker: string, extra: object = {}) => ({
  steps: [
    { name: 'a', job_type: 'echo', payload: { message: marker } },
    { name: 'b', needs: ['a'], job_type: 'echo', payload: { message: { $from: 'a', pointer: '/echoed_message' } } },
  ],
  ...extra,
});
/** POST /jobs with one `then` job, the first job's message `marker`. */
const thenBody = (marker: string, extra: object = {}) => ({
  job_type: 'echo',
  payload: { message: marker },
  // biome-ignore lint/suspicious/noThenProperty: POST /jobs names the field `then`; this body is never awaited.
  then: [{ job_type: 'echo', payload: { message: 'after' } }],
  ...extra,
});

for (const target of backendsUnderTest()) {
  describe(`Idempotency-Key on POST /pipelines and POST /jobs with then (${target.name})`, () => {
    let opened: OpenedBackend;
    let secondBackend: Backend;
    let apis: RunningApi[];
    let urls: [string, string];
    beforeAll(async () => {
      opened = await openBackend(target, { AGENT_RUNNER_PORT: '0' });
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

    /** The stored pipelines whose first step's message is `marker` (no dispatcher runs: they stay RUNNING). */
    async function pipelinesMarked(marker: string): Promise<Pipeline[]> {
      const running = await opened.backend.pipelines.listRunning(10_000);
      return running.filter((p) => (p.steps[0]?.payload as { message?: unknown } | null)?.message === marker);
    }
    async function jobsMarked(marker: string): Promise<string[]> {
      const { jobs } = await opened.backend.jobs.list({ limit: 1000 });
      return jobs.filter((j) => (j.payload as { message?: unknown } | null)?.message === marker).map((j) => j.jobId);
    }
    /** An API instance on this store whose step-job creation fails: the process "dies" after the pipeline's record. */
    async function apiThatDiesAfterRecording(): Promise<string> {
      const jobs: JobStore = Object.create(opened.backend.jobs) as JobStore;
      jobs.create = () => Promise.reject(new Error('the process died here'));
      const broken = await startApi(opened.config, { ...opened.backend, jobs }, createLogger('api-test', 'silent'));
      apis.push(broken);
      return broken.url;
    }

    test('POST /pipelines: a repeat (keys reordered) replays 200 with the same pipeline; nothing more is recorded', async () => {
      const marker = randomUUID();
      const key = `"${randomUUID()}"`;
      const first = await post(urls[0], '/pipelines', pipelineBody(marker), key);
      assert.equal(first.status, 202, await first.clone().text());
      assert.equal(first.headers.get('idempotent-replayed'), null);
      const created = (await first.json()) as { pipeline_id: string; steps: { job_id: string }[] };
      const depth = await opened.backend.queue.depth();

      const reordered = JSON.stringify({ steps: pipelineBody(marker).steps.map((s) => Object.fromEntries(Object.entries(s).reverse())) });
      const repeat = await post(urls[1], '/pipelines', null, key, reordered);
      assert.equal(repeat.status, 200, await repeat.clone().text());
      assert.equal(repeat.headers.get('idempotent-replayed'), 'true');
      assert.equal(repeat.headers.get('location'), `/pipelines/${created.pipeline_id}`);
      const replayed = (await repeat.json()) as { pipeline_id: string; steps: { job_id: string }[] };
      assert.equal(replayed.pipeline_id, created.pipeline_id);
      assert.deepEqual(
        replayed.steps.map((s) => s.job_id),
        created.steps.map((s) => s.job_id),
      );
      assert.deepEqual(
        (await pipelinesMarked(marker)).map((p) => p.pipelineId),
        [created.pipeline_id],
        'one pipeline recorded',
      );
      assert.equal((await jobsMarked(marker)).length, 1, 'one first-step job');
      assert.deepEqual(await opened.backend.queue.depth(), depth, 'nothing more was enqueued');
    });

    test('POST /pipelines: the same key with another body is a 422 problem and records nothing', async () => {
      const key = randomUUID();
      const [marker, other] = [randomUUID(), randomUUID()];
      assert.equal((await post(urls[0], '/pipelines', pipelineBody(marker), key)).status, 202);
      const refused = await post(urls[1], '/pipelines', pipelineBody(other), key);
      assert.equal(refused.status, 422);
      assert.equal(refused.headers.get('content-type'), PROBLEM_JSON);
      const problem = (await refused.json()) as { type: string; detail: string };
      assert.equal(problem.type, 'urn:agent-runner:problem:idempotency-key-reused');
      assert.match(problem.detail, /different request \(pipeline /);
      assert.deepEqual(await pipelinesMarked(other), []);
      assert.deepEqual(await jobsMarked(other), []);
      assert.equal((await pipelinesMarked(marker)).length, 1);
    });

    test('a key is one request whichever route: used on POST /jobs, it is a 422 on POST /pipelines, and back', async () => {
      const [marker, key] = [randomUUID(), randomUUID()];
      assert.equal((await post(urls[0], '/jobs', { job_type: 'echo', payload: { message: marker } }, key)).status, 202);
      const onPipelines = await post(urls[0], '/pipelines', pipelineBody(marker), key);
      assert.equal(onPipelines.status, 422, await onPipelines.clone().text());
      assert.deepEqual(await pipelinesMarked(marker), []);

      const [marker2, key2] = [randomUUID(), randomUUID()];
      assert.equal((await post(urls[0], '/pipelines', pipelineBody(marker2), key2)).status, 202);
      const onJobs = await post(urls[1], '/jobs', { job_type: 'echo', payload: { message: marker2 } }, key2);
      assert.equal(onJobs.status, 422, await onJobs.clone().text());
      assert.equal((await jobsMarked(marker2)).length, 1, "only the pipeline's first step");
    });

    test('POST /pipelines: ten racing requests over both instances record one pipeline; every answer names it', async () => {
      const [marker, key] = [randomUUID(), randomUUID()];
      const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => post(urls[i % 2]!, '/pipelines', pipelineBody(marker), key)));
      assert.deepEqual(answers.map((r) => r.status).sort(), [200, 200, 200, 200, 200, 200, 200, 200, 200, 202]);
      const ids = new Set(await Promise.all(answers.map(async (r) => ((await r.json()) as { pipeline_id: string }).pipeline_id)));
      assert.equal(ids.size, 1);
      assert.deepEqual(
        (await pipelinesMarked(marker)).map((p) => p.pipelineId),
        [...ids],
      );
      assert.equal((await jobsMarked(marker)).length, 1);
    });

    test('keys are per tenant: another tenant with the same key and body gets its own pipeline', async () => {
      const [marker, key] = [randomUUID(), randomUUID()];
      const a = await post(urls[0], '/pipelines', pipelineBody(marker, { tenant: 'tenant-a' }), key);
      const b = await post(urls[0], '/pipelines', pipelineBody(marker, { tenant: 'tenant-b' }), key);
      assert.deepEqual([a.status, b.status], [202, 202]);
      assert.deepEqual((await pipelinesMarked(marker)).map((p) => p.tenant).sort(), ['tenant-a', 'tenant-b']);
    });

    test('POST /pipelines: a request that died after recording is replayed by its retry, with its step jobs created', async () => {
      const [marker, key] = [randomUUID(), randomUUID()];
      const dying = await post(await apiThatDiesAfterRecording(), '/pipelines', pipelineBody(marker), key);
      assert.equal(dying.status, 500, 'the client got no pipeline');
      const [recorded] = await pipelinesMarked(marker);
      assert.ok(recorded, 'the pipeline record (the commit point) was written');
      assert.deepEqual(await jobsMarked(marker), [], 'and none of its step jobs');

      const retry = await post(urls[1], '/pipelines', pipelineBody(marker), key);
      assert.equal(retry.status, 200, await retry.clone().text());
      const view = (await retry.json()) as { pipeline_id: string; steps: { name: string; status: string }[] };
      assert.equal(view.pipeline_id, recorded.pipelineId);
      assert.deepEqual(
        view.steps.map((s) => [s.name, s.status]),
        [
          ['a', 'QUEUED'],
          ['b', 'WAITING'],
        ],
      );
      assert.equal((await pipelinesMarked(marker)).length, 1, 'no second pipeline');
      assert.equal((await jobsMarked(marker)).length, 1);
    });

    test('POST /jobs with then: a repeat replays 200 with the first job; the same key with another body is a 422', async () => {
      const [marker, key] = [randomUUID(), randomUUID()];
      const first = await post(urls[0], '/jobs', thenBody(marker), key);
      assert.equal(first.status, 202, await first.clone().text());
      const created = (await first.json()) as { job_id: string; pipeline: { pipeline_id: string; step: string } };
      assert.equal(created.pipeline.step, 'job');

      const repeat = await post(urls[1], '/jobs', thenBody(marker), key);
      assert.equal(repeat.status, 200, await repeat.clone().text());
      assert.equal(repeat.headers.get('idempotent-replayed'), 'true');
      assert.equal(repeat.headers.get('location'), `/jobs/${created.job_id}`);
      const replayed = (await repeat.json()) as { job_id: string; pipeline: { pipeline_id: string } };
      assert.equal(replayed.job_id, created.job_id);
      assert.equal(replayed.pipeline.pipeline_id, created.pipeline.pipeline_id);

      const other = await post(urls[0], '/jobs', thenBody(marker, { priority: 'low' }), key);
      assert.equal(other.status, 422);
      assert.equal(((await other.json()) as { type: string }).type, 'urn:agent-runner:problem:idempotency-key-reused');
      const without = await post(urls[0], '/jobs', { job_type: 'echo', payload: { message: marker } }, key);
      assert.equal(without.status, 422, 'the same job without its then is another request');
      assert.deepEqual(
        (await pipelinesMarked(marker)).map((p) => p.pipelineId),
        [created.pipeline.pipeline_id],
      );
      assert.deepEqual(await jobsMarked(marker), [created.job_id]);
    });

    test('POST /jobs with then: racing requests record one chain; a request that died after recording is replayed', async () => {
      const [marker, key] = [randomUUID(), randomUUID()];
      const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => post(urls[i % 2]!, '/jobs', thenBody(marker), key)));
      assert.deepEqual(answers.map((r) => r.status).sort(), [200, 200, 200, 200, 200, 202]);
      assert.equal(new Set(await Promise.all(answers.map(async (r) => ((await r.json()) as { job_id: string }).job_id))).size, 1);
      assert.equal((await pipelinesMarked(marker)).length, 1);

      const [marker2, key2] = [randomUUID(), randomUUID()];
      assert.equal((await post(await apiThatDiesAfterRecording(), '/jobs', thenBody(marker2), key2)).status, 500);
      const [recorded] = await pipelinesMarked(marker2);
      assert.ok(recorded);
      assert.deepEqual(await jobsMarked(marker2), []);
      const retry = await post(urls[0], '/jobs', thenBody(marker2), key2);
      assert.equal(retry.status, 200, await retry.clone().text());
      const job = (await retry.json()) as { job_id: string; status: string };
      assert.equal(job.job_id, recorded.steps[0]!.jobId);
      assert.equal(job.status, 'QUEUED');
      assert.equal((await pipelinesMarked(marker2)).length, 1, 'no second pipeline');
    });
  });
}
