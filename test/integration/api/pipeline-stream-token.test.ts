/**
 * Stream tokens for a pipeline's event stream (GET /pipelines/{id}/events?stream_token=), on both
 * backends with AGENT_RUNNER_AUTH=required: the rules of a job's token, scoped to that pipeline.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { signStreamToken } from '@agent-runner/api/auth/stream-token.ts';
import { startApi, type RunningApi } from '@agent-runner/api/main.ts';
import { mintApiKey } from '@agent-runner/shared/auth/api-key-format.ts';
import { ulid } from '@agent-runner/shared/domain/ids.ts';
import { createLogger } from '@agent-runner/shared/observability/logger.ts';
import { backendsUnderTest, openBackend, type OpenedBackend } from '../../support/backends.ts';
import { PROBLEM_JSON, postJson } from './api-fixture.ts';

const pipelineBody = { steps: [{ name: 'a', job_type: 'echo', payload: { message: 'hi' } }] };

interface TokenView {
  stream_token: string;
  expires_at: string;
  events_url: string;
}

for (const target of backendsUnderTest()) {
  describe(`pipeline stream tokens (${target.name})`, () => {
    let opened: OpenedBackend;
    let apis: RunningApi[];
    let url: string;
    const keys: Record<string, { keyId: string; auth: Record<string, string> }> = {};
    const pipelines: Record<string, string> = {};
    let aliceJob: string;

    const get = (path: string, headers: Record<string, string> = {}, base = url) => fetch(`${base}${path}`, { headers });
    async function tokenFor(who: string, pipelineId: string): Promise<TokenView> {
      const res = await postJson(`${url}/pipelines/${pipelineId}/stream-token`, {}, keys[who]!.auth);
      assert.equal(res.status, 200, await res.clone().text());
      assert.equal(res.headers.get('cache-control'), 'no-store');
      return (await res.json()) as TokenView;
    }
    async function assertOpens(path: string, base = url): Promise<void> {
      const stream = new AbortController();
      const res = await fetch(`${base}${path}`, { signal: stream.signal });
      assert.equal(res.status, 200, path);
      assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
      assert.match(new TextDecoder().decode((await res.body!.getReader().read()).value), /retry: 1000/);
      stream.abort();
    }

    beforeAll(async () => {
      opened = await openBackend(target, { AGENT_RUNNER_AUTH: 'required', AGENT_RUNNER_PORT: '0' });
      const log = createLogger('api-test', 'silent');
      apis = [await startApi(opened.config, opened.backend, log), await startApi(opened.config, opened.backend, log)];
      url = apis[0]!.url;
      for (const tenant of ['alice', 'bob']) {
        const minted = mintApiKey();
        await opened.backend.apiKeys.create({
          keyId: minted.keyId,
          tenant,
          name: null,
          scopes: ['submit', 'read', 'cancel'],
          hash: minted.hash,
          createdAt: new Date().toISOString(),
          lastUsedAt: null,
          revokedAt: null,
        });
        keys[tenant] = { keyId: minted.keyId, auth: { authorization: `Bearer ${minted.key}` } };
      }
      for (const name of ['alice', 'alice2', 'bob']) {
        const res = await postJson(`${url}/pipelines`, pipelineBody, keys[name.replace(/\d$/, '')]!.auth);
        assert.equal(res.status, 202, await res.clone().text());
        pipelines[name] = ((await res.json()) as { pipeline_id: string }).pipeline_id;
      }
      const job = await postJson(`${url}/jobs`, { job_type: 'echo', payload: { message: 'x' } }, keys.alice!.auth);
      aliceJob = ((await job.json()) as { job_id: string }).job_id;
    });
    afterAll(async () => {
      await Promise.all((apis ?? []).map((a) => a.close()));
      await opened?.close();
    });

    test("a token opens its pipeline's event stream without a header, on any API instance, for about a minute", async () => {
      const view = await tokenFor('alice', pipelines.alice!);
      assert.equal(view.events_url, `/pipelines/${pipelines.alice}/events?stream_token=${view.stream_token}`);
      const ttl = Date.parse(view.expires_at) - Date.now();
      assert.ok(ttl > 50_000 && ttl <= 60_000, `valid for about a minute, got ${ttl} ms`);
      for (const base of [url, apis[1]!.url]) await assertOpens(view.events_url, base);
      assert.equal((await get(`/pipelines/${pipelines.alice}/events`)).status, 401, 'without a token or a key: 401');
    });

    test("another pipeline's, a job's, an expired, a forged or a malformed token: 401, WWW-Authenticate: Bearer", async () => {
      const { stream_token: token } = await tokenFor('alice', pipelines.alice!);
      const record = (await opened.backend.apiKeys.get(keys.alice!.keyId))!;
      const now = Math.floor(Date.now() / 1000);
      const jobTokenRes = await postJson(`${url}/jobs/${aliceJob}/stream-token`, {}, keys.alice!.auth);
      const jobToken = ((await jobTokenRes.json()) as TokenView).stream_token;
      const refusals = [
        [pipelines.alice2, token, 'a token for another pipeline of the same tenant'],
        [pipelines.bob, token, "a token for another tenant's pipeline"],
        [pipelines.alice, signStreamToken(record, pipelines.alice!, now + 60), "a job's token signed over the pipeline's id"],
        [pipelines.alice, signStreamToken(record, pipelines.alice!, now - 1, 'pipeline'), 'expired'],
        [pipelines.alice, `${token.slice(0, -4)}AAAA`, 'forged'],
        [pipelines.alice, 'nonsense', 'malformed'],
      ] as const;
      for (const [pipelineId, bad, why] of refusals) {
        const res = await get(`/pipelines/${pipelineId}/events?stream_token=${bad}`);
        assert.equal(res.status, 401, why);
        assert.equal(res.headers.get('content-type'), PROBLEM_JSON);
        assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer\b/);
      }
      const pipelineToken = signStreamToken(record, aliceJob, now + 60, 'pipeline');
      assert.equal(
        (await get(`/jobs/${aliceJob}/events?stream_token=${pipelineToken}`)).status,
        401,
        "a pipeline's token opens no job stream",
      );
      await assertOpens(`/jobs/${aliceJob}/events?stream_token=${jobToken}`);
      assert.equal((await get(`/pipelines/${pipelines.alice}?stream_token=${token}`)).status, 401, 'a token opens the event stream only');
    });

    test("another tenant's pipeline answers 404 on stream-token, as a missing one does; the token's tenant is checked", async () => {
      const theirs = await postJson(`${url}/pipelines/${pipelines.alice}/stream-token`, {}, keys.bob!.auth);
      const none = await postJson(`${url}/pipelines/${ulid(new Date())}/stream-token`, {}, keys.bob!.auth);
      assert.deepEqual([theirs.status, none.status], [404, 404]);
      // A token bob's key signed over alice's pipeline id (as a leaked signing would give) still opens nothing of alice's.
      const bobRecord = (await opened.backend.apiKeys.get(keys.bob!.keyId))!;
      const crafted = signStreamToken(bobRecord, pipelines.alice!, Math.floor(Date.now() / 1000) + 60, 'pipeline');
      assert.equal((await get(`/pipelines/${pipelines.alice}/events?stream_token=${crafted}`)).status, 404);
    });

    test("a revoked key's pipeline tokens stop working", async () => {
      const minted = mintApiKey();
      await opened.backend.apiKeys.create({
        keyId: minted.keyId,
        tenant: 'alice',
        name: null,
        scopes: ['read'],
        hash: minted.hash,
        createdAt: new Date().toISOString(),
        lastUsedAt: null,
        revokedAt: null,
      });
      const res = await postJson(`${url}/pipelines/${pipelines.alice}/stream-token`, {}, { authorization: `Bearer ${minted.key}` });
      const { events_url: eventsUrl } = (await res.json()) as TokenView;
      await assertOpens(eventsUrl);
      await opened.backend.apiKeys.revoke(minted.keyId, new Date());
      const deadline = Date.now() + (opened.config.auth.cacheSeconds + 2) * 1000;
      for (;;) {
        const stream = new AbortController();
        const { status } = await fetch(`${apis[1]!.url}${eventsUrl}`, { signal: stream.signal });
        stream.abort();
        if (status === 401) break;
        assert.ok(Date.now() < deadline, `still ${status} after the cache time`);
        await new Promise((r) => setTimeout(r, 200));
      }
    });
  });
}
