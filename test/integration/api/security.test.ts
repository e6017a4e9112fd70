/**
 * API keys and tenant isolation on both backends, over real HTTP: two API servers on one backend
 * with AGENT_RUNNER_AUTH=required, keys created as `agent-runner keys create` creates them.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { startApi, type RunningApi } from '@agent-runner/api/main.ts';
import { signStreamToken } from '@agent-runner/api/auth/stream-token.ts';
import { mintApiKey } from '@agent-runner/shared/auth/api-key-format.ts';
import { systemClock, ulid } from '@agent-runner/shared/domain/ids.ts';
import { addAttemptSpend } from '@agent-runner/shared/domain/transitions.ts';
import { applyTransition } from '@agent-runner/shared/jobs/apply-transition.ts';
import { createLogger } from '@agent-runner/shared/observability/logger.ts';
import type { ApiKeyScope } from '@agent-runner/shared/ports/api-keys.ts';
import { createChildJobRunner } from '@agent-runner/worker/child-jobs.ts';
import { backendsUnderTest, openBackend, type OpenedBackend } from '../../support/backends.ts';
import { PROBLEM_JSON, postJson } from './api-fixture.ts';

const CACHE_SECONDS = 2;
const echo = { job_type: 'echo', payload: { message: 'hi' } };
const usage = (cost: number) => ({
  calls: 1,
  input_tokens: 10,
  output_tokens: 5,
  cache_write_tokens: 0,
  cache_read_tokens: 0,
  cost_usd: cost,
  by_model: {
    'claude-sonnet-5-5': { calls: 1, input_tokens: 10, output_tokens: 5, cache_write_tokens: 0, cache_read_tokens: 0, cost_usd: cost },
  },
});

for (const target of backendsUnderTest()) {
  describe(`API keys and tenants (${target.name})`, () => {
    let opened: OpenedBackend;
    let apis: RunningApi[];
    let url: string;
    let second: string;
    const logLines: string[] = [];
    /** Every key and token handed out, to look for in logs and records. */
    const secrets: string[] = [];

    async function newKey(
      tenant: string,
      scopes: ApiKeyScope[] = ['submit', 'read', 'cancel'],
    ): Promise<{ keyId: string; key: string; auth: Record<string, string> }> {
      const minted = mintApiKey();
      await opened.backend.apiKeys.create({
        keyId: minted.keyId,
        tenant,
        name: null,
        scopes,
        hash: minted.hash,
        createdAt: new Date().toISOString(),
        lastUsedAt: null,
        revokedAt: null,
      });
      secrets.push(minted.key);
      return { keyId: minted.keyId, key: minted.key, auth: { authorization: `Bearer ${minted.key}` } };
    }
    const get = (path: string, headers: Record<string, string> = {}, base = url) => fetch(`${base}${path}`, { headers });
    const submit = async (headers: Record<string, string>, body: object = echo) => {
      const res = await postJson(`${url}/jobs`, body, headers);
      assert.equal(res.status, 202, await res.clone().text());
      return (await res.json()) as { job_id: string; tenant: string; key_id: string | null };
    };

    let alice: Awaited<ReturnType<typeof newKey>>;
    let bob: Awaited<ReturnType<typeof newKey>>;
    let admin: Awaited<ReturnType<typeof newKey>>;
    let aliceJob: { job_id: string; tenant: string; key_id: string | null };
    let bobJob: { job_id: string; tenant: string; key_id: string | null };

    beforeAll(async () => {
      opened = await openBackend(target, {
        AGENT_RUNNER_AUTH: 'required',
        AGENT_RUNNER_AUTH_CACHE_SECONDS: String(CACHE_SECONDS),
        AGENT_RUNNER_PORT: '0',
      });
      const sink = new Writable({
        write(chunk: Buffer, _encoding, done) {
          logLines.push(chunk.toString('utf8'));
          done();
        },
      });
      const log = createLogger('api', 'debug', { destination: sink });
      apis = [await startApi(opened.config, opened.backend, log), await startApi(opened.config, opened.backend, log)];
      url = apis[0]!.url;
      second = apis[1]!.url;
      alice = await newKey('alice');
      bob = await newKey('bob');
      admin = await newKey('ops', ['admin']);
      aliceJob = await submit(alice.auth);
      bobJob = await submit(bob.auth);
    });
    afterAll(async () => {
      await Promise.all(apis.map((a) => a.close()));
      await opened.close();
    });

    test('no key, an unknown key, a malformed header: 401 problem+json with WWW-Authenticate: Bearer', async () => {
      const unknown = mintApiKey().key;
      for (const headers of [
        {},
        { authorization: `Bearer ${unknown}` },
        { authorization: 'Bearer nonsense' },
        { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
      ]) {
        for (const res of [
          await get('/jobs', headers),
          await postJson(`${url}/jobs`, echo, headers),
          await get(`/jobs/${aliceJob.job_id}`, headers),
        ]) {
          assert.equal(res.status, 401);
          assert.equal(res.headers.get('content-type'), PROBLEM_JSON);
          assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer\b/);
          assert.equal(((await res.json()) as { status: number }).status, 401);
        }
      }
      assert.equal((await opened.backend.jobs.list({ limit: 100 })).jobs.length, 2, 'nothing was submitted');
    });

    test('public routes need no key: health, OpenAPI, the dashboard, metrics', async () => {
      for (const path of ['/healthz', '/openapi.json', '/', '/metrics', '/stats']) assert.equal((await get(path)).status, 200, path);
    });

    test('a key without the scope gets 403; a non-admin naming another tenant gets 403', async () => {
      const readOnly = await newKey('alice', ['read']);
      const submitOnly = await newKey('alice', ['submit']);
      const forbidden = [
        await postJson(`${url}/jobs`, echo, readOnly.auth),
        await get('/jobs', submitOnly.auth),
        await postJson(`${url}/jobs/${aliceJob.job_id}/cancel`, {}, readOnly.auth),
        await postJson(`${url}/jobs`, { ...echo, tenant: 'bob' }, alice.auth),
        await get('/jobs?tenant=bob', alice.auth),
        await get('/usage?tenant=bob', alice.auth),
      ];
      for (const res of forbidden) {
        assert.equal(res.status, 403);
        assert.equal(res.headers.get('content-type'), PROBLEM_JSON);
      }
      const own = await submit(alice.auth, { ...echo, tenant: 'alice' });
      assert.equal(own.tenant, 'alice', 'naming its own tenant is allowed');
    });

    test("the job runs as the key's tenant and records the key id", async () => {
      assert.equal(aliceJob.tenant, 'alice');
      assert.equal(aliceJob.key_id, alice.keyId);
      assert.equal((await opened.backend.jobs.get(aliceJob.job_id))?.keyId, alice.keyId);
      const forBob = await submit(admin.auth, { ...echo, tenant: 'bob' });
      assert.equal(forBob.tenant, 'bob', 'an admin key may name the tenant');
      assert.equal(forBob.key_id, admin.keyId);
      assert.equal((await submit(admin.auth)).tenant, 'ops', 'an admin key naming none submits as its own tenant');
    });

    test("another tenant's job answers 404 on get, events, cancel and stream-token, exactly like no job", async () => {
      const missing = ulid(new Date());
      for (const [method, path] of [
        ['GET', ''],
        ['GET', '/events'],
        ['POST', '/cancel'],
        ['POST', '/stream-token'],
      ] as const) {
        const theirs = await fetch(`${url}/jobs/${aliceJob.job_id}${path}`, { method, headers: bob.auth });
        const none = await fetch(`${url}/jobs/${missing}${path}`, { method, headers: bob.auth });
        assert.equal(theirs.status, 404, `${method} ${path}`);
        assert.equal(none.status, 404);
        const [a, b] = [(await theirs.json()) as Record<string, unknown>, (await none.json()) as Record<string, unknown>];
        assert.deepEqual(
          { ...a, detail: null, instance: null, request_id: null },
          { ...b, detail: null, instance: null, request_id: null },
        );
        assert.equal(String(a.detail).replace(aliceJob.job_id, 'ID'), String(b.detail).replace(missing, 'ID'));
      }
      assert.equal((await opened.backend.jobs.get(aliceJob.job_id))?.status, 'QUEUED', 'the cancel changed nothing');
      assert.equal((await get(`/jobs/${aliceJob.job_id}`, alice.auth)).status, 200, 'its own tenant sees it');
    });

    test("GET /jobs lists the caller's tenant only; an admin sees all, or one tenant with ?tenant=", async () => {
      const tenantsOf = async (path: string, auth: Record<string, string>) => {
        const res = await get(path, auth);
        assert.equal(res.status, 200);
        return new Set(((await res.json()) as { jobs: { tenant: string }[] }).jobs.map((j) => j.tenant));
      };
      assert.deepEqual(await tenantsOf('/jobs?limit=100', alice.auth), new Set(['alice']));
      assert.deepEqual(await tenantsOf('/jobs?limit=100&status=QUEUED&job_type=echo', bob.auth), new Set(['bob']));
      assert.deepEqual(await tenantsOf('/jobs?limit=100', admin.auth), new Set(['alice', 'bob', 'ops']));
      assert.deepEqual(await tenantsOf('/jobs?limit=100&tenant=bob', admin.auth), new Set(['bob']));
      assert.deepEqual(await tenantsOf('/jobs?limit=100&tenant=bob&status=QUEUED', admin.auth), new Set(['bob']));
    });

    test("GET /usage sums the caller's tenant only; an admin sees all, or one tenant", async () => {
      for (const [job, cost] of [
        [aliceJob, 0.25],
        [bobJob, 0.5],
      ] as const) {
        await applyTransition(
          opened.backend.jobs,
          job.job_id,
          (j) => addAttemptSpend(j, { usage: usage(cost), rateLimits: null }),
          () => new Date(),
        );
      }
      const groups = async (path: string, auth: Record<string, string>) => {
        const res = await get(path, auth);
        assert.equal(res.status, 200);
        return Object.fromEntries(
          ((await res.json()) as { groups: { key: string; cost_usd: number }[] }).groups.map((g) => [g.key, g.cost_usd]),
        );
      };
      assert.deepEqual(await groups('/usage?group_by=tenant', alice.auth), { alice: 0.25 });
      assert.deepEqual(await groups('/usage?group_by=tenant', bob.auth), { bob: 0.5 });
      assert.deepEqual(await groups('/usage?group_by=tenant', admin.auth), { alice: 0.25, bob: 0.5 });
      assert.deepEqual(await groups('/usage?group_by=tenant&tenant=alice', admin.auth), { alice: 0.25 });
    });

    test("GET /stats/timeseries charts the caller's tenant only; an admin sees all, or one tenant", async () => {
      const jobsRead = async (path: string, auth: Record<string, string>) => {
        const res = await get(path, auth);
        assert.equal(res.status, 200, path);
        return ((await res.json()) as { jobs_read: number }).jobs_read;
      };
      const ofAlice = await jobsRead('/stats/timeseries', alice.auth);
      const ofBob = await jobsRead('/stats/timeseries', bob.auth);
      assert.ok(ofAlice > 0 && ofBob > 0, `each tenant's own jobs are charted (alice ${ofAlice}, bob ${ofBob})`);
      const ofAll = await jobsRead('/stats/timeseries', admin.auth);
      assert.ok(ofAll >= ofAlice + ofBob, `an admin charts every tenant (${ofAll}; alice ${ofAlice}, bob ${ofBob})`);
      assert.equal(await jobsRead('/stats/timeseries?tenant=alice', admin.auth), ofAlice);
      const other = await get('/stats/timeseries?tenant=bob', alice.auth);
      assert.equal(other.status, 403);
      assert.equal(other.headers.get('content-type'), PROBLEM_JSON);
    });

    test("a submit_job child belongs to its parent's tenant and key", async () => {
      const parent = (await opened.backend.jobs.get(aliceJob.job_id))!;
      const { backend, config } = opened;
      const runner = createChildJobRunner({
        submit: {
          jobs: backend.jobs,
          queue: backend.queue,
          blobs: backend.blobs,
          clock: systemClock,
          newId: ulid,
          inlineLimitBytes: config.inlineLimitBytes,
        },
        config,
        parent,
        pollMs: 10,
      });
      const stop = new AbortController();
      stop.abort(new Error('the test only needs the child submitted'));
      await assert.rejects(runner.runChildJob({ jobType: 'echo', payload: { message: 'child' } }, stop.signal));
      const child = (await backend.jobs.list({ limit: 100, tenant: 'alice' })).jobs.find(
        (j) => j.jobId !== parent.jobId && j.jobType === 'echo' && (j.payload as { message?: string } | null)?.message === 'child',
      );
      assert.ok(child, 'the child is listed under alice');
      assert.equal(child.keyId, alice.keyId);
      assert.equal((await get(`/jobs/${child.jobId}`, bob.auth)).status, 404);
      assert.equal((await get(`/jobs/${child.jobId}`, alice.auth)).status, 200);
    });

    test("a stream token opens its job's event stream without a header; expired, forged or another job's: 401", async () => {
      const res = await postJson(`${url}/jobs/${aliceJob.job_id}/stream-token`, {}, alice.auth);
      assert.equal(res.status, 200);
      const {
        stream_token: token,
        expires_at: expiresAt,
        events_url: eventsUrl,
      } = (await res.json()) as { stream_token: string; expires_at: string; events_url: string };
      secrets.push(token);
      const ttl = Date.parse(expiresAt) - Date.now();
      assert.ok(ttl > 50_000 && ttl <= 60_000, `valid for about a minute, got ${ttl} ms`);

      for (const base of [url, second]) {
        const stream = new AbortController();
        const opened = await fetch(`${base}${eventsUrl}`, { signal: stream.signal });
        assert.equal(opened.status, 200, 'any API instance accepts it');
        assert.match(opened.headers.get('content-type') ?? '', /^text\/event-stream/);
        const reader = opened.body!.getReader();
        assert.match(new TextDecoder().decode((await reader.read()).value), /retry: 1000/);
        stream.abort();
      }

      const record = (await opened.backend.apiKeys.get(alice.keyId))!;
      const expired = signStreamToken(record, aliceJob.job_id, Math.floor(Date.now() / 1000) - 1);
      const forged = `${token.slice(0, -4)}AAAA`;
      for (const [path, why] of [
        [`/jobs/${aliceJob.job_id}/events?stream_token=${expired}`, 'expired'],
        [`/jobs/${aliceJob.job_id}/events?stream_token=${forged}`, 'forged'],
        [`/jobs/${bobJob.job_id}/events?stream_token=${token}`, 'another job'],
        [`/jobs/${aliceJob.job_id}/events?stream_token=nonsense`, 'malformed'],
      ] as const) {
        const refused = await get(path);
        assert.equal(refused.status, 401, why);
        assert.match(refused.headers.get('www-authenticate') ?? '', /^Bearer\b/);
      }
      assert.equal((await get(`/jobs/${aliceJob.job_id}?stream_token=${token}`)).status, 401, 'a stream token opens the event stream only');
    });

    test('a revoked key stops working on every API instance within the cache time; its stream tokens too', async () => {
      const doomed = await newKey('alice');
      const job = await submit(doomed.auth);
      const tokenRes = await postJson(`${second}/jobs/${job.job_id}/stream-token`, {}, doomed.auth);
      const { events_url: eventsUrl, stream_token: token } = (await tokenRes.json()) as { events_url: string; stream_token: string };
      secrets.push(token);
      for (const base of [url, second]) assert.equal((await get('/jobs', doomed.auth, base)).status, 200, 'both instances know the key');
      await opened.backend.apiKeys.revoke(doomed.keyId, new Date());
      const revokedAt = Date.now();
      for (const base of [url, second]) {
        for (;;) {
          const res = await get(`/jobs/${job.job_id}`, doomed.auth, base);
          if (res.status === 401) break;
          assert.equal(res.status, 200);
          assert.ok(Date.now() - revokedAt < (CACHE_SECONDS + 1) * 1000, 'still accepted after the cache time');
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      assert.equal((await get(eventsUrl, {}, second)).status, 401, 'the stream token died with its key');
      assert.equal((await get('/jobs', alice.auth)).status, 200, 'other keys are unaffected');
    });

    test("a key's last use is recorded, not on every request", async () => {
      const record = await opened.backend.apiKeys.get(alice.keyId);
      assert.ok(record?.lastUsedAt, "alice's key has a last use");
      const before = record.lastUsedAt;
      await get('/jobs', alice.auth);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(
        (await opened.backend.apiKeys.get(alice.keyId))?.lastUsedAt,
        before,
        'a second request within the minute writes nothing',
      );
    });

    test('no key, stream token or Authorization header appears in the logs or in any job record', async () => {
      assert.ok(secrets.length >= 5);
      const logs = logLines.join('');
      assert.ok(logs.includes('"path":"/jobs"'), 'requests were logged');
      assert.ok(!/"authorization"/i.test(logs) && !/bearer\s+(?!<key>)\S/i.test(logs), 'no Authorization header in the logs');
      assert.ok(!logs.includes('stream_token='), 'no stream token URL in the logs');
      const { jobs } = await opened.backend.jobs.list({ limit: 100 });
      assert.ok(jobs.length >= 5);
      const records = JSON.stringify(jobs);
      for (const secret of secrets) {
        const tail = secret.slice(-20);
        assert.ok(!logs.includes(tail), 'a key or token in the logs');
        assert.ok(!records.includes(tail), 'a key or token in a job record');
      }
      assert.ok(!records.includes('ar_live_'), 'no key at all in the records');
    });
  });
}

describe("the API's metrics on their own port (AGENT_RUNNER_METRICS_PORT)", () => {
  let opened: OpenedBackend;
  let api: RunningApi;
  beforeAll(async () => {
    const target = backendsUnderTest()[0] ?? { name: 'embedded' as const, makeEnv: async () => ({}) };
    opened = await openBackend(target, { AGENT_RUNNER_AUTH: 'required', AGENT_RUNNER_PORT: '0', AGENT_RUNNER_METRICS_PORT: '0' });
    api = await startApi(opened.config, opened.backend, createLogger('api', 'silent'));
  });
  afterAll(async () => {
    await api.close();
    await opened.close();
  });

  test('/metrics answers on the metrics port without a key, and is not served on the API port', async () => {
    assert.ok(api.metricsUrl && api.metricsUrl !== api.url);
    const metrics = await fetch(`${api.metricsUrl}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /agent_runner_http_request_duration_seconds/);
    assert.equal((await fetch(`${api.url}/metrics`)).status, 404);
    assert.equal((await fetch(`${api.url}/healthz`)).status, 200);
  });
});

describe('the start-up line about authentication', () => {
  async function startupLines(env: Record<string, string>): Promise<{ level: number; msg: string }[]> {
    const target = backendsUnderTest().find((b) => b.name === 'embedded') ?? { name: 'embedded' as const, makeEnv: async () => ({}) };
    const lines: { level: number; msg: string }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n'))
          if (line.trim()) lines.push(JSON.parse(line) as { level: number; msg: string });
        done();
      },
    });
    // An empty value counts as unset (loadConfig), which undoes openBackend's AGENT_RUNNER_AUTH=off.
    const opened = await openBackend(target, { AGENT_RUNNER_PORT: '0', ...env });
    try {
      const api = await startApi(opened.config, opened.backend, createLogger('api', 'info', { destination: sink }));
      await api.close();
    } finally {
      await opened.close();
    }
    return lines.filter((l) => /^auth /.test(l.msg));
  }

  test('embedded on loopback by default: one info line saying auth is off', async () => {
    const lines = await startupLines({ AGENT_RUNNER_AUTH: '' });
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.level, 30);
    assert.match(lines[0]!.msg, /^auth off: embedded backend on a loopback address/);
  });

  test('off on a non-loopback host is a warning; required says so', async () => {
    const off = await startupLines({ AGENT_RUNNER_AUTH: 'off', AGENT_RUNNER_HOST: '0.0.0.0' });
    assert.equal(off.length, 1);
    assert.equal(off[0]!.level, 40);
    assert.match(off[0]!.msg, /anyone who can reach this API/);
    const required = await startupLines({ AGENT_RUNNER_AUTH: 'required' });
    assert.equal(required.length, 1);
    assert.match(required[0]!.msg, /^auth required/);
  });
});
