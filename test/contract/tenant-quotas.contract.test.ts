/**
 * The three ports behind tenant quotas, with the same cases on both backends: settings as an
 * operator sets and reads them, the daily spend total workers add to, and the per-tenant count of
 * QUEUED jobs the API checks a cap against.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { ulid } from '@agent-runner/shared/domain/ids.ts';
import { createJobRecord } from '@agent-runner/shared/domain/job.ts';
import { backendsUnderTest, openBackend, type OpenedBackend } from '../support/backends.ts';

const now = new Date('2026-12-02T10:00:00.000Z');
const uniqueTenant = (what: string) => `${what}-${randomUUID().slice(0, 8)}`;

for (const target of backendsUnderTest()) {
  describe(`tenant quota stores (${target.name})`, () => {
    let opened: OpenedBackend;
    beforeAll(async () => {
      opened = await openBackend(target);
    });
    afterAll(() => opened?.close());

    test('settings read back as set; a quota left out keeps its value; default removes the override', async () => {
      const { tenants } = opened.backend;
      const tenant = uniqueTenant('acme');
      assert.equal(await tenants.get(tenant), null, 'nothing set yet');

      const set = await tenants.update(tenant, { submitRate: { limit: 20, windowSeconds: 1 }, maxQueued: 1000, budgetUsdPerDay: 25 }, now);
      assert.deepEqual(set.quotas, { submitRate: { limit: 20, windowSeconds: 1 }, maxQueued: 1000, budgetUsdPerDay: 25 });
      assert.deepEqual(await tenants.get(tenant), set);

      const later = new Date(now.getTime() + 1000);
      const changed = await tenants.update(tenant, { budgetUsdPerDay: null, maxQueued: 'default' }, later);
      assert.deepEqual(
        changed.quotas,
        { submitRate: { limit: 20, windowSeconds: 1 }, budgetUsdPerDay: null },
        'null is "unlimited", kept; maxQueued follows the default',
      );
      assert.equal(changed.updatedAt, later.toISOString());
      assert.deepEqual(await tenants.get(tenant), changed);
    });

    test('racing updates of different quotas both land', async () => {
      const { tenants } = opened.backend;
      const tenant = uniqueTenant('race');
      await Promise.all([
        tenants.update(tenant, { maxQueued: 5 }, now),
        tenants.update(tenant, { budgetUsdPerDay: 3 }, now),
        tenants.update(tenant, { submitRate: { limit: 1, windowSeconds: 60 } }, now),
      ]);
      assert.deepEqual((await tenants.get(tenant))?.quotas, {
        maxQueued: 5,
        budgetUsdPerDay: 3,
        submitRate: { limit: 1, windowSeconds: 60 },
      });
    });

    test('list holds every configured tenant, by name, and nothing else of the store', async () => {
      const { tenants, tenantSpend } = opened.backend;
      const a = uniqueTenant('list-a');
      const b = uniqueTenant('list-b');
      await tenants.update(b, { maxQueued: 2 }, now);
      await tenants.update(a, { maxQueued: 1 }, now);
      await tenantSpend.add(a, '2026-12-02', 1.5);
      const listed = (await tenants.list()).filter((s) => s.tenant === a || s.tenant === b);
      assert.deepEqual(
        listed.map((s) => [s.tenant, s.quotas.maxQueued]),
        [
          [a, 1],
          [b, 2],
        ],
      );
      const names = (await tenants.list()).map((s) => s.tenant);
      assert.deepEqual(names, [...names].sort(), 'sorted by name');
    });

    test('spend adds up per tenant and day; racing adds are all counted', async () => {
      const { tenantSpend } = opened.backend;
      const tenant = uniqueTenant('spend');
      const other = uniqueTenant('spend-other');
      assert.equal(await tenantSpend.get(tenant, '2026-12-02'), 0);
      assert.equal(await tenantSpend.add(tenant, '2026-12-02', 0.25), 0.25);
      assert.equal(await tenantSpend.add(tenant, '2026-12-02', 0.5), 0.75, 'add answers the new total');
      await tenantSpend.add(tenant, '2026-12-03', 2);
      await tenantSpend.add(other, '2026-12-02', 9);
      await Promise.all(Array.from({ length: 20 }, () => tenantSpend.add(tenant, '2026-12-02', 0.01)));
      assert.equal(await tenantSpend.get(tenant, '2026-12-02'), 0.95);
      assert.equal(await tenantSpend.get(tenant, '2026-12-03'), 2, 'another day is its own total');
      assert.equal(await tenantSpend.get(other, '2026-12-02'), 9, 'another tenant is its own total');
    });

    test("a tenant's QUEUED jobs are counted, up to the cap asked for; other statuses and tenants are not", async () => {
      const { jobs, queuedJobs } = opened.backend;
      const tenant = uniqueTenant('queued');
      const other = uniqueTenant('queued-other');
      const make = (t: string, i: number) =>
        createJobRecord(
          ulid(new Date(now.getTime() + i)),
          { jobType: 'echo', payload: {}, priority: 'normal', tenant: t, orderingKey: null, maxAttempts: 3, timeoutSeconds: 60 },
          now,
          { payload: {}, payloadRef: null },
        );
      const mine = Array.from({ length: 5 }, (_, i) => make(tenant, i));
      for (const job of [...mine, make(other, 10), make(other, 11)]) await jobs.create(job);
      await jobs.update(mine[0]!.jobId, { status: ['QUEUED'] }, { status: 'CANCELLED' }, now);

      assert.equal(await queuedJobs.countQueued(tenant, 100), 4, 'the cancelled one is not queued');
      assert.equal(await queuedJobs.countQueued(tenant, 3), 3, 'counting stops at the cap');
      assert.equal(await queuedJobs.countQueued(other, 100), 2);
      assert.equal(await queuedJobs.countQueued(uniqueTenant('nobody'), 100), 0);
    });
  });
}
