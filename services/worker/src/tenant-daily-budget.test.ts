import assert from 'node:assert/strict';
import { test } from 'vitest';
import { applyQuotaChanges, type QuotaChanges, type TenantSettings } from '@agent-runner/shared/domain/tenant-quotas.ts';
import { createLogger } from '@agent-runner/shared/observability/logger.ts';
import type { TenantSettingsStore } from '@agent-runner/shared/ports/tenant-settings.ts';
import type { TenantSpend } from '@agent-runner/shared/ports/tenant-spend.ts';
import { TenantDailyBudget } from './tenant-daily-budget.ts';

/** The two stores in memory, with counts of the reads made. */
function stores(budget: number | null, spentToday: number) {
  const totals = new Map<string, number>([['t|2026-12-02', spentToday]]);
  let settings: TenantSettings | null = applyQuotaChanges(null, 't', { budgetUsdPerDay: budget }, new Date());
  const reads = { settings: 0, spend: 0 };
  const settingsStore: TenantSettingsStore = {
    get: async () => {
      reads.settings++;
      return settings;
    },
    update: async (tenant: string, changes: QuotaChanges, now: Date) => {
      settings = applyQuotaChanges(settings, tenant, changes, now);
      return settings;
    },
    list: async () => [],
  };
  const spend: TenantSpend = {
    add: async (tenant, day, usd) => {
      const total = (totals.get(`${tenant}|${day}`) ?? 0) + usd;
      totals.set(`${tenant}|${day}`, total);
      return total;
    },
    get: async (tenant, day) => {
      reads.spend++;
      return totals.get(`${tenant}|${day}`) ?? 0;
    },
  };
  return { settingsStore, spend, reads, totals };
}

function budgetFor(s: ReturnType<typeof stores>, attemptSpent: () => number, at = '2026-12-02T12:00:00Z') {
  let ms = Date.parse(at);
  const budget = new TenantDailyBudget({
    tenant: 't',
    settings: s.settingsStore,
    spend: s.spend,
    defaults: { submitRate: null, maxQueued: null, budgetUsdPerDay: null },
    clock: { now: () => new Date(ms) },
    log: createLogger('test', 'silent'),
    attemptSpentUsd: attemptSpent,
  });
  return { budget, advance: (by: number) => (ms += by) };
}

test('nothing is read until a call asks; calls are refused once spend plus reservations would pass the budget', async () => {
  const s = stores(1, 0.5);
  let spent = 0;
  const { budget } = budgetFor(s, () => spent);
  assert.deepEqual(s.reads, { settings: 0, spend: 0 });
  await budget.refreshIfInUse();
  assert.deepEqual(s.reads, { settings: 0, spend: 0 }, 'a job that never called the model reads nothing');

  const first = await budget.reserve(0.3);
  assert.ok(first);
  assert.equal(await budget.reserve(0.3), null, '0.5 spent + 0.3 reserved + 0.3 > 1');
  first();
  spent = 0.2; // the first call cost 0.2, not yet added to the tenant's day
  assert.equal(budget.standing().spent_today_usd, 0.7);
  assert.equal(await budget.reserve(0.31), null);
  assert.ok(await budget.reserve(0.3));
});

test("what the attempt records is not counted twice; a refresh sees others' spend", async () => {
  const s = stores(1, 0.5);
  let spent = 0;
  const { budget } = budgetFor(s, () => spent);
  assert.ok(await budget.reserve(0));
  spent = 0.2;
  await budget.record(0.2);
  assert.equal(s.totals.get('t|2026-12-02'), 0.7);
  assert.equal(budget.standing().spent_today_usd, 0.7, 'not 0.9');
  s.totals.set('t|2026-12-02', 0.95); // another job spent 0.25
  assert.equal(budget.standing().spent_today_usd, 0.7, 'not seen before the refresh');
  await budget.refreshIfInUse();
  assert.equal(budget.standing().spent_today_usd, 0.95);
  assert.equal(await budget.reserve(0.06), null);
});

test('a new UTC day starts from what the attempt has not recorded yet', async () => {
  const s = stores(1, 0.99);
  let spent = 0;
  const { budget, advance } = budgetFor(s, () => spent, '2026-12-02T23:59:59Z');
  assert.equal(await budget.reserve(0.02), null);
  advance(2_000);
  spent = 0.1;
  assert.equal(budget.standing().spent_today_usd, 0.1);
  assert.ok(await budget.reserve(0.02));
});

test('without a budget nothing is refused, and spend is still recorded', async () => {
  const s = stores(null, 100);
  const { budget } = budgetFor(s, () => 0);
  assert.ok(await budget.reserve(1_000));
  await budget.record(0.5);
  assert.equal(s.totals.get('t|2026-12-02'), 100.5);
  assert.equal(s.reads.spend, 0, "no budget: today's total is not read");
});
