import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { claimForLaunch, startAttempt, succeedAttempt } from '@agent-runner/shared/domain/transitions.ts';
import { applyTransition } from '@agent-runner/shared/jobs/apply-transition.ts';
import { JobListSchema, JobViewSchema } from '@agent-runner/api/schemas/job-view.ts';
import { PROBLEM_JSON, postJson, startApiUnderTest, type ApiUnderTest } from './api-fixture.ts';

interface JobView {
  job_id: string;
  status: string;
  result?: unknown;
  links: { self: string; cancel: string; events: string };
  [key: string]: unknown;
}

describe('jobs API on the embedded backend', () => {
  let api: ApiUnderTest;
  beforeAll(async () => {
    // A small inline limit so a modest payload / result takes the blob-store path.
    api = await startApiUnderTest({ AGENT_RUNNER_INLINE_LIMIT_BYTES: '200' });
  });
  afterAll(() => api.stop());

  async function submit(body: Record<string, unknown>): Promise<JobView> {
    const res = await postJson(`${api.url}/jobs`, body);
    assert.equal(res.status, 202, await res.clone().text());
    return (await res.json()) as JobView;
  }

  test('POST /jobs answers 202 with a Location and the job view, records the job QUEUED and enqueues it', async () => {
    const depthBefore = await api.backend.queue.depth();
    const res = await postJson(`${api.url}/jobs`, {
      job_type: 'echo',
      payload: { message: 'hello' },
      priority: 'high',
      ordering_key: 'customer-7',
      tenant: 'acme',
      max_attempts: 5,
      timeout_seconds: 30,
    });
    assert.equal(res.status, 202);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    const view = (await res.json()) as JobView;
    assert.match(view.job_id, /^[0-9A-HJKMNP-TV-Z]{26}$/);
    assert.equal(res.headers.get('location'), `/jobs/${view.job_id}`);
    assert.deepEqual(Object.keys(view).sort(), [
      'attempt',
      'attempts',
      'cost_usd',
      'created_at',
      'error',
      'finished_at',
      'isolation',
      'job_id',
      'job_type',
      'key_id',
      'links',
      'max_attempts',
      'ordering_key',
      'priority',
      'rate_limits',
      'started_at',
      'status',
      'tenant',
      'timeout_seconds',
      'updated_at',
      'usage',
      'webhook',
    ]);
    assert.deepEqual(
      { ...view, job_id: undefined, created_at: undefined, updated_at: undefined },
      {
        job_id: undefined,
        job_type: 'echo',
        status: 'QUEUED',
        priority: 'high',
        tenant: 'acme',
        key_id: null,
        ordering_key: 'customer-7',
        isolation: 'one_shot',
        created_at: undefined,
        updated_at: undefined,
        started_at: null,
        finished_at: null,
        attempt: 0,
        max_attempts: 5,
        timeout_seconds: 30,
        attempts: [],
        error: null,
        usage: null,
        cost_usd: null,
        rate_limits: null,
        webhook: null,
        links: { self: `/jobs/${view.job_id}`, cancel: `/jobs/${view.job_id}/cancel`, events: `/jobs/${view.job_id}/events` },
      },
    );
    assert.ok(!('payload' in view), 'the payload is not echoed');
    JobViewSchema.parse(view); // the documented schema describes what is served

    const stored = await api.backend.jobs.get(view.job_id);
    assert.equal(stored?.status, 'QUEUED');
    assert.deepEqual(stored?.payload, { message: 'hello' });
    const depthAfter = await api.backend.queue.depth();
    assert.equal(depthAfter.high.waiting, depthBefore.high.waiting + 1);
  });

  test('the media type is matched case-insensitively, with or without a UTF-8 charset', async () => {
    for (const type of ['Application/JSON', 'application/json; charset=UTF-8']) {
      const res = await postJson(`${api.url}/jobs`, { job_type: 'echo', payload: { message: type } }, { 'content-type': type });
      assert.equal(res.status, 202, type);
    }
  });

  test('a form media type is refused even with JSON in it (a web page could send it cross-site): curl -d needs -H', async () => {
    const res = await postJson(
      `${api.url}/jobs`,
      { job_type: 'echo', payload: { message: 'curl' } },
      { 'content-type': 'application/x-www-form-urlencoded' },
    );
    assert.equal(res.status, 415);
    assert.equal(((await res.json()) as { type: string }).type, 'urn:agent-runner:problem:unsupported-media-type');
  });

  test('omitted options take the configured defaults', async () => {
    const view = await submit({ job_type: 'echo', payload: { message: 'defaults' } });
    assert.equal(view.priority, 'normal');
    assert.equal(view.tenant, api.config.defaults.tenant);
    assert.equal(view.ordering_key, null);
    assert.equal(view.max_attempts, api.config.defaults.maxAttempts);
    assert.equal(view.timeout_seconds, api.config.defaults.timeoutSeconds);
  });

  test('a payload larger than the inline limit is kept in the blob store, and the job still validates and queues', async () => {
    const message = 'x'.repeat(500);
    const view = await submit({ job_type: 'echo', payload: { message } });
    const stored = await api.backend.jobs.get(view.job_id);
    assert.equal(stored?.payload, null);
    assert.equal(stored?.payloadRef, `payloads/${view.job_id}.json`);
    const blob = await api.backend.blobs.get(`payloads/${view.job_id}.json`);
    assert.deepEqual(JSON.parse(Buffer.from(blob!).toString('utf8')), { message });
  });

  test('GET /jobs/:id returns the same view; without a result before the job succeeded', async () => {
    const submitted = await submit({ job_type: 'echo', payload: { message: 'get me' } });
    const res = await fetch(`${api.url}/jobs/${submitted.job_id}`);
    assert.equal(res.status, 200);
    const view = (await res.json()) as JobView;
    assert.deepEqual(view, submitted);
    assert.ok(!('result' in view));
  });

  test('a SUCCEEDED job carries its result, loaded from the blob store when the record holds only a reference', async () => {
    const small = await submit({ job_type: 'echo', payload: { message: 'small' } });
    const large = await submit({ job_type: 'echo', payload: { message: 'large' } });
    const bigResult = { echoed_message: 'y'.repeat(1000) };
    await api.backend.blobs.put(`results/${large.job_id}.json`, JSON.stringify(bigResult), 'application/json');
    for (const [jobId, stored] of [
      [small.job_id, { result: { echoed_message: 'small' }, resultRef: null }],
      [large.job_id, { result: null, resultRef: `results/${large.job_id}.json` }],
    ] as const) {
      // The worker's own steps, so the record is exactly what a real run leaves.
      const now = () => new Date();
      await applyTransition(api.backend.jobs, jobId, (job) => claimForLaunch(job, now(), 30), now);
      await applyTransition(api.backend.jobs, jobId, (job) => startAttempt(job, 1, now()), now);
      const done = await applyTransition(api.backend.jobs, jobId, (job) => succeedAttempt(job, 1, stored, now()), now);
      assert.equal(done.job.status, 'SUCCEEDED');
    }

    const smallView = (await (await fetch(`${api.url}/jobs/${small.job_id}`)).json()) as JobView;
    assert.equal(smallView.status, 'SUCCEEDED');
    assert.deepEqual(smallView.result, { echoed_message: 'small' });
    assert.equal((smallView.attempts as unknown[]).length, 1);
    const largeView = (await (await fetch(`${api.url}/jobs/${large.job_id}`)).json()) as JobView;
    assert.deepEqual(largeView.result, bigResult);
    JobViewSchema.parse(largeView);
  });

  test('an unknown or malformed job id is a 404 problem naming the job', async () => {
    for (const id of ['01ARZ3NDEKTSV4RRFFQ69G5FAV', 'not-a-job-id']) {
      const res = await fetch(`${api.url}/jobs/${id}`);
      assert.equal(res.status, 404);
      assert.equal(res.headers.get('content-type'), PROBLEM_JSON);
      const problem = (await res.json()) as Record<string, unknown>;
      assert.equal(problem.status, 404);
      assert.equal(problem.instance, `/jobs/${id}`);
      assert.match(String(problem.detail), new RegExp(id));
    }
  });

  test('an unmatched route or method is a problem too', async () => {
    const missing = await fetch(`${api.url}/nothing-here`);
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get('content-type'), PROBLEM_JSON);
    const wrongMethod = await fetch(`${api.url}/jobs`, { method: 'DELETE' });
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.get('content-type'), PROBLEM_JSON);
    assert.match(wrongMethod.headers.get('allow') ?? '', /POST/);
  });

  test('X-Request-Id is echoed when given, made up when not, and quoted in problems', async () => {
    const given = await fetch(`${api.url}/healthz`, { headers: { 'x-request-id': 'req-123.abc' } });
    assert.equal(given.headers.get('x-request-id'), 'req-123.abc');
    const made = await fetch(`${api.url}/healthz`);
    assert.match(made.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    const hostile = await fetch(`${api.url}/healthz`, { headers: { 'x-request-id': 'a b\tc' } });
    assert.notEqual(hostile.headers.get('x-request-id'), 'a b\tc');
    const problem = await fetch(`${api.url}/jobs/nope`, { headers: { 'x-request-id': 'trace-me' } });
    assert.equal(((await problem.json()) as Record<string, unknown>).request_id, 'trace-me');
  });

  test('GET /healthz answers ok', async () => {
    const res = await fetch(`${api.url}/healthz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
  });
});

describe('listing jobs', () => {
  let api: ApiUnderTest;
  const echoIds: string[] = [];
  const sleepIds: string[] = [];
  beforeAll(async () => {
    api = await startApiUnderTest();
    // Interleaved, so both filters and paging have to skip over the other kind.
    for (let i = 0; i < 5; i++) {
      for (const [jobType, payload, ids] of [
        ['echo', { message: `m${i}` }, echoIds],
        ['sleep', { ms: i }, sleepIds],
      ] as const) {
        const res = await postJson(`${api.url}/jobs`, { job_type: jobType, payload });
        ids.push(((await res.json()) as JobView).job_id);
      }
    }
  });
  afterAll(() => api.stop());

  async function list(query: string): Promise<{ jobs: JobView[]; next_cursor: string | null }> {
    const res = await fetch(`${api.url}/jobs${query}`);
    assert.equal(res.status, 200, await res.clone().text());
    const body = (await res.json()) as { jobs: JobView[]; next_cursor: string | null };
    JobListSchema.parse(body);
    return body;
  }

  test('newest first, 20 by default, the last page says there is no next one', async () => {
    const page = await list('');
    assert.deepEqual(
      page.jobs.map((j) => j.job_id),
      [...echoIds, ...sleepIds].sort().reverse(),
    );
    assert.equal(page.next_cursor, null);
    assert.ok(page.jobs.every((j) => !('result' in j) && j.links.self === `/jobs/${j.job_id}`));
  });

  test('filtered by job_type, paged with the cursor until the end, without gaps or repeats', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { jobs: JobView[]; next_cursor: string | null } = await list(
        `?job_type=sleep&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      assert.ok(page.jobs.length <= 2);
      seen.push(...page.jobs.map((j) => j.job_id));
      cursor = page.next_cursor;
      pages++;
    } while (cursor !== null && pages < 10);
    assert.deepEqual(seen, [...sleepIds].reverse());
    assert.equal(pages, 3);
  });

  test('filtered by status, after one job was cancelled', async () => {
    const target = echoIds[2]!;
    const res = await fetch(`${api.url}/jobs/${target}/cancel`, { method: 'POST' });
    assert.equal(res.status, 202);
    const cancelled = await list('?status=CANCELLED');
    assert.deepEqual(
      cancelled.jobs.map((j) => j.job_id),
      [target],
    );
    const queuedEcho = await list('?status=QUEUED&job_type=echo');
    assert.deepEqual(
      queuedEcho.jobs.map((j) => j.job_id),
      echoIds.filter((id) => id !== target).reverse(),
    );
  });

  test('a bad status, limit or cursor is a 400 problem naming the parameter', async () => {
    for (const [query, path] of [
      ['?status=queued', 'status'],
      ['?limit=0', 'limit'],
      ['?limit=101', 'limit'],
      ['?limit=ten', 'limit'],
      ['?limit=2.5', 'limit'],
      ['?cursor=not-ours', 'cursor'],
    ] as const) {
      const res = await fetch(`${api.url}/jobs${query}`);
      assert.equal(res.status, 400, query);
      assert.equal(res.headers.get('content-type'), PROBLEM_JSON, query);
      const problem = (await res.json()) as { errors: { path: string }[] };
      assert.deepEqual(
        problem.errors.map((e) => e.path),
        [path],
        query,
      );
    }
  });
});

describe('cancelling jobs', () => {
  let api: ApiUnderTest;
  beforeAll(async () => {
    api = await startApiUnderTest();
  });
  afterAll(() => api.stop());

  test('a queued job is CANCELLED at once (202 with the view) and its record says so', async () => {
    const job = (await (await postJson(`${api.url}/jobs`, { job_type: 'echo', payload: { message: 'stop' } })).json()) as JobView;
    const res = await fetch(`${api.url}${job.links.cancel}`, { method: 'POST' });
    assert.equal(res.status, 202);
    const view = (await res.json()) as JobView;
    assert.equal(view.status, 'CANCELLED');
    assert.deepEqual(view.error, { kind: 'cancelled', message: 'cancelled by request', handler: null });
    assert.equal(typeof view.finished_at, 'string');
    assert.equal((await api.backend.jobs.get(job.job_id))?.status, 'CANCELLED');
  });

  test('a terminal job cannot be cancelled: 409 problem, record unchanged', async () => {
    const job = (await (await postJson(`${api.url}/jobs`, { job_type: 'echo', payload: { message: 'twice' } })).json()) as JobView;
    assert.equal((await fetch(`${api.url}${job.links.cancel}`, { method: 'POST' })).status, 202);
    const before = await api.backend.jobs.get(job.job_id);
    const res = await fetch(`${api.url}${job.links.cancel}`, { method: 'POST' });
    assert.equal(res.status, 409);
    assert.equal(res.headers.get('content-type'), PROBLEM_JSON);
    const problem = (await res.json()) as Record<string, unknown>;
    assert.equal(problem.status, 409);
    assert.match(String(problem.detail), /already CANCELLED/);
    assert.deepEqual(await api.backend.jobs.get(job.job_id), before);
  });

  test('cancelling an unknown job is a 404 problem', async () => {
    const res = await fetch(`${api.url}/jobs/01ARZ3NDEKTSV4RRFFQ69G5FAV/cancel`, { method: 'POST' });
    assert.equal(res.status, 404);
    assert.equal(res.headers.get('content-type'), PROBLEM_JSON);
  });
});
