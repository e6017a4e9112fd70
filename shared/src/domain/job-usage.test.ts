import assert from 'node:assert/strict';
import { test } from 'vitest';
import { createJobRecord, type Job } from './job.ts';
import { addUsage, withSpend, type JobUsage, type UsageTotals } from './job-usage.ts';
import { addAttemptSpend, failAttempt, startAttempt, succeedAttempt, claimForLaunch } from './transitions.ts';

const totals = (calls: number, input: number, output: number, write: number, read: number, usd: number): UsageTotals => ({
  calls,
  input_tokens: input,
  output_tokens: output,
  cache_write_tokens: write,
  cache_read_tokens: read,
  cost_usd: usd,
});

const sonnet = totals(2, 100, 50, 10, 1000, 0.001_23);
const haiku = totals(1, 7, 3, 0, 0, 0.000_000_1);
const first: JobUsage = { ...sonnet, by_model: { 'claude-sonnet-5-5': sonnet } };
const second: JobUsage = {
  ...totals(3, 107, 53, 10, 1000, 0.001_230_1),
  by_model: { 'claude-sonnet-5-5': sonnet, 'claude-haiku-5-5': haiku },
};

test('adding usage sums every count and the cost, in total and per model', () => {
  assert.deepEqual(addUsage(first, second), {
    ...totals(5, 207, 103, 20, 2000, 0.002_460_1),
    by_model: { 'claude-haiku-5-5': haiku, 'claude-sonnet-5-5': totals(4, 200, 100, 20, 2000, 0.002_46) },
  });
});

test('costs are rounded to a billionth of a dollar, so 0.1 + 0.2 is 0.3', () => {
  const a: JobUsage = { ...totals(1, 1, 1, 0, 0, 0.1), by_model: { m: totals(1, 1, 1, 0, 0, 0.1) } };
  const b: JobUsage = { ...totals(1, 1, 1, 0, 0, 0.2), by_model: { m: totals(1, 1, 1, 0, 0, 0.2) } };
  const sum = addUsage(a, b);
  assert.equal(sum?.cost_usd, 0.3);
  assert.equal(sum?.by_model.m?.cost_usd, 0.3);
});

test('null is "no model call": it adds nothing, and null + null stays null', () => {
  assert.equal(addUsage(null, null), null);
  assert.deepEqual(addUsage(null, first), first);
  assert.deepEqual(addUsage(first, null), first);
  assert.equal(addUsage(first, second)?.calls, addUsage(second, first)?.calls);
  assert.deepEqual(addUsage(first, second), addUsage(second, first), 'the order of attempts does not change the record');
});

test('the last rate-limit headers replace the earlier ones; an attempt that saw none keeps them', () => {
  const job = { usage: first, rateLimits: { 'requests-remaining': '10' } };
  assert.deepEqual(withSpend(job, { usage: null, rateLimits: { 'requests-remaining': '9' } }).rateLimits, { 'requests-remaining': '9' });
  assert.deepEqual(withSpend(job, { usage: second, rateLimits: null }), {
    usage: addUsage(first, second),
    rateLimits: { 'requests-remaining': '10' },
  });
});

function running(): Job {
  const t0 = new Date('2026-01-01T00:00:00.000Z');
  let job = createJobRecord(
    '01JOB',
    { jobType: 'research', payload: {}, priority: 'normal', tenant: 't', orderingKey: null, maxAttempts: 3, timeoutSeconds: 60 },
    t0,
    { payload: {}, payloadRef: null },
  );
  for (const step of [claimForLaunch(job, t0, 30), startAttempt({ ...job, status: 'DISPATCHED', attempt: 1 }, 1, t0)]) {
    assert.ok(step);
    job = { ...job, ...step.changes, version: job.version + 1 };
  }
  return job;
}

test('a failed attempt and the attempt that ends the job each add their usage in their own write', () => {
  const job = { ...running(), usage: first };
  const failed = failAttempt(job, 1, { kind: 'retryable', message: 'x', handler: 'research' }, new Date(), {
    usage: second,
    rateLimits: null,
  });
  assert.deepEqual(failed?.transition.changes.usage, addUsage(first, second));
  assert.equal(failed?.transition.expect.version, job.version, 'the sum is written only over the record it was computed from');
  const done = succeedAttempt(job, 1, { result: null, resultRef: null }, new Date(), { usage: second, rateLimits: { a: '1' } });
  assert.deepEqual(done?.changes.usage, addUsage(first, second));
  assert.deepEqual(done?.changes.rateLimits, { a: '1' });
  assert.equal(
    succeedAttempt(job, 1, { result: null, resultRef: null }, new Date())?.changes.usage,
    undefined,
    'no spend given: usage untouched',
  );
});

test('a spend-only write applies in any status, and not at all when nothing was spent', () => {
  const cancelled: Job = { ...running(), status: 'CANCELLED', usage: null };
  const step = addAttemptSpend(cancelled, { usage: first, rateLimits: null });
  assert.deepEqual(step, {
    expect: { status: ['CANCELLED'], version: cancelled.version },
    changes: { usage: addUsage(null, first), rateLimits: null },
  });
  assert.equal(addAttemptSpend(cancelled, { usage: null, rateLimits: null }), null);
});

test('compute adds up across attempts beside the Claude totals, and only where an attempt recorded it', () => {
  const claude: JobUsage = { ...totals(1, 10, 5, 0, 0, 0.01), by_model: { m: totals(1, 10, 5, 0, 0, 0.01) } };
  const compute: JobUsage = { ...totals(0, 0, 0, 0, 0, 0), by_model: {}, compute_seconds: 60, compute_cost_usd: 0.0004 };
  const both = addUsage(addUsage(claude, compute), compute);
  assert.equal(both?.cost_usd, 0.01);
  assert.equal(both?.compute_seconds, 120);
  assert.equal(both?.compute_cost_usd, 0.0008);
  assert.equal('compute_cost_usd' in (addUsage(claude, claude) ?? {}), false);
});
