import assert from 'node:assert/strict';
import { test } from 'vitest';
import {
  applyQuotaChanges,
  effectiveQuotas,
  formatSubmitRate,
  parseSubmitRate,
  secondsUntilNextUtcDay,
  type TenantQuotas,
} from './tenant-quotas.ts';

test('rates parse from "<n>/<unit>" and format back', () => {
  assert.deepEqual(parseSubmitRate('20/s'), { limit: 20, windowSeconds: 1 });
  assert.deepEqual(parseSubmitRate(' 600 / min '), { limit: 600, windowSeconds: 60 });
  assert.deepEqual(parseSubmitRate('5000/d'), { limit: 5000, windowSeconds: 86_400 });
  assert.equal(parseSubmitRate('unlimited'), null);
  for (const bad of ['20', '0/s', '1.5/s', '20/fortnight', '-3/s']) assert.equal(typeof parseSubmitRate(bad), 'string', bad);
  assert.equal(formatSubmitRate({ limit: 600, windowSeconds: 60 }), '600/min');
  assert.equal(formatSubmitRate(null), 'unlimited');
});

test("a tenant's overrides win over the defaults; null overrides to unlimited; 'default' drops an override", () => {
  const defaults: TenantQuotas = { submitRate: { limit: 20, windowSeconds: 1 }, maxQueued: 100, budgetUsdPerDay: 10 };
  const now = new Date('2026-12-02T00:00:00Z');
  const settings = applyQuotaChanges(null, 't', { maxQueued: 5, budgetUsdPerDay: null }, now);
  assert.deepEqual(effectiveQuotas(defaults, settings), {
    submitRate: { limit: 20, windowSeconds: 1 },
    maxQueued: 5,
    budgetUsdPerDay: null,
  });
  const back = applyQuotaChanges(settings, 't', { maxQueued: 'default' }, now);
  assert.deepEqual(back.quotas, { budgetUsdPerDay: null });
  assert.deepEqual(effectiveQuotas(defaults, null), defaults);
});

test('a daily budget renews at the next UTC midnight', () => {
  assert.equal(secondsUntilNextUtcDay(new Date('2026-12-02T23:59:30.000Z')), 30);
  assert.equal(secondsUntilNextUtcDay(new Date('2026-12-02T00:00:00.000Z')), 86_400);
});
