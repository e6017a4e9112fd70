import assert from 'node:assert/strict';
import { test } from 'vitest';
import { compareWaiting, effectiveRank } from './priority-order.ts';

test('higher classes go first; within a class the oldest', () => {
  const now = 1_000_000;
  const jobs = [
    { id: 'low-old', priority: 'low' as const, submittedAt: now - 10_000 },
    { id: 'high-new', priority: 'high' as const, submittedAt: now - 1_000 },
    { id: 'critical', priority: 'critical' as const, submittedAt: now },
    { id: 'high-old', priority: 'high' as const, submittedAt: now - 5_000 },
  ];
  assert.deepEqual(
    jobs.sort(compareWaiting(now, 60)).map((j) => j.id),
    ['critical', 'high-old', 'high-new', 'low-old'],
  );
});

test('aging promotes a waiting job one class per aging period, so low jobs cannot starve', () => {
  assert.equal(effectiveRank('low', 0, 60), 3);
  assert.equal(effectiveRank('low', 59, 60), 3);
  assert.equal(effectiveRank('low', 60, 60), 2);
  assert.equal(effectiveRank('low', 180, 60), 0);
  const now = 10_000_000;
  const starving = { priority: 'low' as const, submittedAt: now - 200_000 };
  const fresh = { priority: 'critical' as const, submittedAt: now };
  assert.ok(compareWaiting(now, 60)(starving, fresh) < 0, 'a low job that waited 200 s outranks a fresh critical one');
});

test('aging 0 means strict priority', () => {
  assert.equal(effectiveRank('low', 10_000, 0), 3);
});
