/**
 * POST /jobs under tenant quotas, on a real API server over each backend: the submission rate
 * (429 with Retry-After and the RateLimit fields, then admitted again once the bucket refilled),
 * the queued-job cap and the daily budget. The API's clock is the test's, so refills and the day's
 * end need no sleeping; AGENT_RUNNER_TENANT_CACHE_SECONDS=0 makes each submit read the stores.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { startApi, type RunningApi } from '@agent-runner/api/main.ts';
import { utcDayOf } from '@agent-runner/shared/domain/tenant-quotas.ts';
import { createLogger } from '@agent-runner/shared/observability/logger.ts';
import { backendsUnderTest, openBackend, type OpenedBackend } from '../../support/backends.ts';
import { PROBLEM_JSON, postJson } from './api-fixture.ts';

const uniqueTenant = (what: string) => `${what}-${randomUUID().slice(0, 8)}`;

for (const target of backendsUnderTest()) {
  describe(`tenant quotas on POST /jobs (${target.name})`, () => {
    let opened: OpenedBackend;
    let api: RunningApi;
    let nowMs = Date.parse('2026-12-02T12:00:00.000Z');
    const clock = { now: () => new Date(nowMs) };

    beforeAll(async () => {
      opened = await openBackend(target, { AGENT_RUNNER_PORT: '0', AGENT_RUNNER_TENANT_CACHE_SECONDS: '0' });
      api = await startApi(opened.config, opened.backend, createLogger('quota-test', 'warn'), { clock });
    });
    afterAll(async () => {
      await api?.close();
      await opened?.close();
    });

    const submit = (tenant: string, url = api.url) => postJson(`${url}/jobs`, { job_type: 'echo', payload: { message: 'hi' }, tenant });
    const problemOf = async (res: Response) => {
      assert.equal(res.headers.get('content-type'), PROBLEM_JSON);
      return (await res.json()) as { type: string; status: number; detail: string };
    };
    const queuedOf = (tenant: string) => opened.backend.queuedJobs.countQueued(tenant, 1000);

    test('past its submission rate a tenant gets 429 with Retry-After and RateLimit fields, and is admitted after the refill', async () => {
      const tenant = uniqueTenant('rate');
      await opened.backend.tenants.update(tenant, { submitRate: { limit: 3, windowSeconds: 1 } }, clock.now());
      for (const left of [2, 1, 0]) {
        const res = await submit(tenant);
        assert.equal(res.status, 202);
        assert.equal(res.headers.get('ratelimit-policy'), '"submit";q=3;w=1');
        assert.match(res.headers.get('ratelimit') ?? '', new RegExp(`^"submit";r=${left};t=\\d+$`));
      }
      const refused = await submit(tenant);
      assert.equal(refused.status, 429);
      assert.equal(refused.headers.get('retry-after'), '1', 'one token comes back in a third of a second: 1 s, rounded up');
      assert.equal(refused.headers.get('ratelimit-policy'), '"submit";q=3;w=1');
      assert.equal(refused.headers.get('ratelimit'), '"submit";r=0;t=1');
      const problem = await problemOf(refused);
      assert.equal(problem.type, 'urn:agent-runner:problem:rate-limited');
      assert.equal(problem.status, 429);
      assert.equal(await queuedOf(tenant), 3, 'the refused submit recorded nothing');

      const other = await submit(uniqueTenant('unlimited'));
      assert.equal(other.status, 202, 'another tenant has its own bucket (and no limit)');
      assert.equal(other.headers.get('ratelimit'), null, 'no rate, no rate fields');

      nowMs += 400; // 1.2 tokens back at 3/s
      assert.equal((await submit(tenant)).status, 202, 'admitted again once a token is back');
      assert.equal((await submit(tenant)).status, 429, 'and only one');
      nowMs += 1000;
      const full = await submit(tenant);
      assert.equal(full.status, 202);
      assert.equal(full.headers.get('ratelimit'), '"submit";r=2;t=1', 'a second refills the bucket');
    });

    test('the env default rate applies to tenants without settings; a setting of their own overrides it', async () => {
      const config = {
        ...opened.config,
        tenants: { ...opened.config.tenants, defaults: { ...opened.config.tenants.defaults, submitRate: { limit: 1, windowSeconds: 60 } } },
      };
      const second = await startApi(config, opened.backend, createLogger('quota-test', 'warn'), { clock });
      try {
        const plain = uniqueTenant('plain');
        assert.equal((await submit(plain, second.url)).status, 202);
        const refused = await submit(plain, second.url);
        assert.equal(refused.status, 429);
        assert.equal(refused.headers.get('retry-after'), '60');
        assert.equal(refused.headers.get('ratelimit-policy'), '"submit";q=1;w=60');

        const roomy = uniqueTenant('roomy');
        await opened.backend.tenants.update(roomy, { submitRate: null }, clock.now());
        for (let i = 0; i < 3; i++) assert.equal((await submit(roomy, second.url)).status, 202, 'unlimited by its own setting');
      } finally {
        await second.close();
      }
    });

    test('at its queued-job cap a tenant gets 429 too-many-queued until one of its jobs leaves QUEUED', async () => {
      const tenant = uniqueTenant('queued');
      await opened.backend.tenants.update(tenant, { maxQueued: 2 }, clock.now());
      const first = (await (await submit(tenant)).json()) as { job_id: string };
      assert.equal((await submit(tenant)).status, 202);
      const refused = await submit(tenant);
      assert.equal(refused.status, 429);
      assert.ok(Number(refused.headers.get('retry-after')) > 0);
      assert.equal((await problemOf(refused)).type, 'urn:agent-runner:problem:too-many-queued');
      assert.equal(await queuedOf(tenant), 2);
      assert.equal((await submit(uniqueTenant('other'))).status, 202, 'other tenants are not held back');

      const cancelled = await fetch(`${api.url}/jobs/${first.job_id}/cancel`, { method: 'POST' });
      assert.equal(cancelled.status, 202);
      assert.equal((await submit(tenant)).status, 202, 'room again');
    });

    test("once today's recorded spend reaches the budget a submit gets 429 budget-exhausted until the next UTC day", async () => {
      const tenant = uniqueTenant('budget');
      await opened.backend.tenants.update(tenant, { budgetUsdPerDay: 1 }, clock.now());
      const day = utcDayOf(clock.now());
      await opened.backend.tenantSpend.add(tenant, day, 0.6);
      assert.equal((await submit(tenant)).status, 202, 'under the budget');
      await opened.backend.tenantSpend.add(tenant, day, 0.4);

      const refused = await submit(tenant);
      assert.equal(refused.status, 429);
      const secondsToMidnight = (Date.parse(`${day}T00:00:00Z`) + 86_400_000 - nowMs) / 1000;
      assert.equal(refused.headers.get('retry-after'), String(Math.ceil(secondsToMidnight)));
      const problem = await problemOf(refused);
      assert.equal(problem.type, 'urn:agent-runner:problem:budget-exhausted');
      assert.match(problem.detail, /\$1 of its \$1 daily budget/);
      assert.equal(await queuedOf(tenant), 1, 'the refused submit recorded nothing');

      const saved = nowMs;
      nowMs = Date.parse(`${day}T00:00:00Z`) + 86_400_000 + 1000;
      try {
        assert.equal((await submit(tenant)).status, 202, 'a new day, a new budget');
      } finally {
        nowMs = saved;
      }
    });
  });
}
