import assert from 'node:assert/strict';
import { test } from 'vitest';
import type { JobUsage, UsageTotals } from '../domain/job-usage.ts';
import { UsageTally } from './usage-tally.ts';

const t = (calls: number, input: number, usd: number): UsageTotals => ({
  calls,
  input_tokens: input,
  output_tokens: calls * 10,
  cache_write_tokens: 0,
  cache_read_tokens: input * 2,
  cost_usd: usd,
});
const usage = (byModel: Record<string, UsageTotals>): JobUsage => {
  let sum = t(0, 0, 0);
  for (const m of Object.values(byModel))
    sum = { ...t(sum.calls + m.calls, sum.input_tokens + m.input_tokens, Math.round((sum.cost_usd + m.cost_usd) * 1e9) / 1e9) };
  return { ...sum, by_model: byModel };
};

const jobs = [
  { tenant: 'acme', jobType: 'research', usage: usage({ sonnet: t(5, 1000, 0.5), haiku: t(1, 10, 0.001) }) },
  { tenant: 'acme', jobType: 'claude_chat', usage: usage({ sonnet: t(1, 100, 0.05) }) },
  { tenant: 'globex', jobType: 'claude_chat', usage: usage({ haiku: t(2, 20, 0.002) }) },
  { tenant: 'globex', jobType: 'echo', usage: null },
];

function tally(groupBy: 'tenant' | 'job_type' | 'model') {
  const tally = new UsageTally(groupBy);
  for (const job of jobs) tally.add(job);
  return tally.result();
}

test('grouped by tenant: each job in its tenant, most expensive first; jobs without model calls are in no group', () => {
  const { groups, total } = tally('tenant');
  assert.deepEqual(
    groups.map((g) => [g.key, g.jobs, g.calls, g.cost_usd]),
    [
      ['acme', 2, 7, 0.551],
      ['globex', 1, 2, 0.002],
    ],
  );
  assert.deepEqual(total, {
    jobs: 3,
    calls: 9,
    input_tokens: 1130,
    output_tokens: 90,
    cache_write_tokens: 0,
    cache_read_tokens: 2260,
    cost_usd: 0.553,
    compute_seconds: 0,
    compute_cost_usd: 0,
    total_cost_usd: 0.553,
  });
});

test('compute cost is summed beside the Claude cost; grouped by model it is only in the total', () => {
  const withCompute = { tenant: 'globex', jobType: 'echo', usage: { ...usage({}), compute_seconds: 90, compute_cost_usd: 0.9 } };
  const byTenant = new UsageTally('tenant');
  for (const job of [...jobs, withCompute]) byTenant.add(job);
  const { groups, total } = byTenant.result();
  assert.deepEqual(
    groups.map((g) => [g.key, g.jobs, g.cost_usd, g.compute_cost_usd, g.total_cost_usd]),
    [
      ['globex', 2, 0.002, 0.9, 0.902],
      ['acme', 2, 0.551, 0, 0.551],
    ],
  );
  assert.deepEqual(
    [total.jobs, total.cost_usd, total.compute_seconds, total.compute_cost_usd, total.total_cost_usd],
    [4, 0.553, 90, 0.9, 1.453],
  );
  const byModel = new UsageTally('model');
  byModel.add(withCompute);
  assert.deepEqual(byModel.result().groups, []);
  assert.equal(byModel.result().total.compute_cost_usd, 0.9);
});

test('grouped by job type', () => {
  assert.deepEqual(
    tally('job_type').groups.map((g) => [g.key, g.jobs, g.calls, g.input_tokens, g.cost_usd]),
    [
      ['research', 1, 6, 1010, 0.501],
      ['claude_chat', 2, 3, 120, 0.052],
    ],
  );
});

test('grouped by model: a job that used two models counts in both, with each model’s share; the total counts it once', () => {
  const { groups, total } = tally('model');
  assert.deepEqual(
    groups.map((g) => [g.key, g.jobs, g.calls, g.cache_read_tokens, g.cost_usd]),
    [
      ['sonnet', 2, 6, 2200, 0.55],
      ['haiku', 2, 3, 60, 0.003],
    ],
  );
  assert.equal(total.jobs, 3);
  assert.equal(total.calls, 9);
});

test('groups of equal cost are ordered by key, and no jobs make an empty report', () => {
  const even = new UsageTally('tenant');
  even.add({ tenant: 'b', jobType: 'x', usage: usage({ m: t(1, 1, 0.1) }) });
  even.add({ tenant: 'a', jobType: 'x', usage: usage({ m: t(1, 1, 0.1) }) });
  assert.deepEqual(
    even.result().groups.map((g) => g.key),
    ['a', 'b'],
  );
  assert.deepEqual(new UsageTally('model').result(), {
    groups: [],
    total: {
      jobs: 0,
      calls: 0,
      input_tokens: 0,
      output_tokens: 0,
      cache_write_tokens: 0,
      cache_read_tokens: 0,
      cost_usd: 0,
      compute_seconds: 0,
      compute_cost_usd: 0,
      total_cost_usd: 0,
    },
  });
});
