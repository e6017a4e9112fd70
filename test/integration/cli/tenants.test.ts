/**
 * `agent-runner tenants` as an operator runs it, a real child process against each backend's
 * store: what `set` writes, `get` and `list` read back, and the store (which the API reads) holds.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { utcDayOf } from '@agent-runner/shared/domain/tenant-quotas.ts';
import type { TenantView } from '../../../bin/operator/tenant-view.ts';
import { backendsUnderTest, openBackend, type OpenedBackend } from '../../support/backends.ts';
import { runCli } from '../../support/cli.ts';

for (const target of backendsUnderTest()) {
  describe(`agent-runner tenants (${target.name})`, () => {
    let opened: OpenedBackend;
    let env: Record<string, string>;
    beforeAll(async () => {
      opened = await openBackend(target);
      env = { ...opened.env, AGENT_RUNNER_TENANT_MAX_QUEUED: '50' };
    });
    afterAll(() => opened?.close());

    const tenantName = (what: string) => `${what}-${randomUUID().slice(0, 8)}`;

    test('set stores what it is given and get reads it back, with the defaults for what was not set', async () => {
      const tenant = tenantName('acme');
      const set = await runCli(['tenants', 'set', tenant, '--submit-rate', '20/s', '--budget-usd-per-day', '25', '--json'], env);
      assert.equal(set.code, 0, set.stderr);
      const written = JSON.parse(set.stdout) as TenantView;
      assert.deepEqual(
        { rate: written.submit_rate, queued: written.max_queued, budget: written.budget_usd_per_day, set: written.set },
        { rate: '20/s', queued: 50, budget: 25, set: ['submit_rate', 'budget_usd_per_day'] },
      );
      assert.deepEqual(
        (await opened.backend.tenants.get(tenant))?.quotas,
        { submitRate: { limit: 20, windowSeconds: 1 }, budgetUsdPerDay: 25 },
        'in the store the API reads',
      );

      await opened.backend.tenantSpend.add(tenant, utcDayOf(new Date()), 1.25);
      const get = await runCli(['tenants', 'get', tenant, '--json'], env);
      assert.equal(get.code, 0, get.stderr);
      const read = JSON.parse(get.stdout) as TenantView;
      assert.deepEqual({ ...read, updated_at: null }, { ...written, spent_today_usd: 1.25, updated_at: null });

      const text = await runCli(['tenants', 'get', tenant], env);
      assert.match(text.stdout, /^ {2}submit rate +20\/s +set for this tenant$/m);
      assert.match(text.stdout, /^ {2}max queued +50 +default$/m);
      assert.match(text.stdout, /^ {2}spent today +\$1\.25 /m);
    });

    test('a later set changes only what it names; "unlimited" and "default" are values too', async () => {
      const tenant = tenantName('change');
      assert.equal((await runCli(['tenants', 'set', tenant, '--submit-rate', '600/min', '--max-queued', '10'], env)).code, 0);
      const changed = await runCli(
        ['tenants', 'set', tenant, '--max-queued', 'default', '--budget-usd-per-day', 'unlimited', '--json'],
        env,
      );
      assert.equal(changed.code, 0, changed.stderr);
      const view = JSON.parse(changed.stdout) as TenantView;
      assert.equal(view.submit_rate, '600/min', 'kept');
      assert.equal(view.max_queued, 50, 'back to the default');
      assert.equal(view.budget_usd_per_day, 'unlimited');
      assert.deepEqual(view.set, ['submit_rate', 'budget_usd_per_day']);
    });

    test('list shows every tenant with settings', async () => {
      const a = tenantName('list-a');
      const b = tenantName('list-b');
      await runCli(['tenants', 'set', a, '--max-queued', '3'], env);
      await runCli(['tenants', 'set', b, '--submit-rate', '1/s'], env);
      const json = await runCli(['tenants', 'list', '--json'], env);
      assert.equal(json.code, 0, json.stderr);
      const listed = (JSON.parse(json.stdout) as TenantView[]).filter((v) => v.tenant === a || v.tenant === b);
      assert.deepEqual(
        listed.map((v) => [v.tenant, v.max_queued, v.submit_rate]),
        [
          [a, 3, 'unlimited'],
          [b, 50, '1/s'],
        ],
      );
      const table = await runCli(['tenants', 'list'], env);
      assert.match(table.stdout, /^TENANT +SUBMIT RATE +MAX QUEUED +BUDGET\/DAY +SPENT TODAY$/m);
      assert.match(table.stdout, new RegExp(`^${a} +unlimited +3 +unlimited +\\$0$`, 'm'));
    });

    test('bad values are usage errors (exit 2) that change nothing', async () => {
      const tenant = tenantName('bad');
      for (const args of [
        ['set', tenant, '--submit-rate', 'fast'],
        ['set', tenant, '--max-queued', '0'],
        ['set', tenant, '--budget-usd-per-day', '-5'],
        ['set', tenant],
        ['get', tenant, '--max-queued', '3'],
        ['set', 'has space', '--max-queued', '3'],
        ['remove', tenant],
      ]) {
        const res = await runCli(['tenants', ...args], env);
        assert.equal(res.code, 2, `${args.join(' ')}: ${res.stderr}`);
        assert.match(res.stderr, /^agent-runner tenants: /);
      }
      assert.equal(await opened.backend.tenants.get(tenant), null);
    });
  });
}
