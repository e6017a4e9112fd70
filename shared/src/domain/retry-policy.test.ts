import assert from 'node:assert/strict';
import { test } from 'vitest';
import type { JobError } from './job.ts';
import { backoffSeconds, shouldRetry, DEFAULT_BACKOFF } from './retry-policy.ts';

const error = (kind: JobError['kind']): JobError => ({ kind, message: 'x', handler: null });

test('retry decisions by error kind and attempts left', () => {
  const table: [JobError['kind'], number, number, boolean][] = [
    ['retryable', 1, 3, true],
    ['retryable', 2, 3, true],
    ['retryable', 3, 3, false],
    ['lost', 1, 3, true],
    ['lost', 3, 3, false],
    ['fatal', 1, 3, false],
    ['timeout', 1, 3, false],
    ['cancelled', 1, 3, false],
    ['retryable', 1, 1, false],
  ];
  for (const [kind, attempt, max, expected] of table) {
    assert.equal(shouldRetry(error(kind), attempt, max), expected, `${kind} attempt ${attempt}/${max}`);
  }
});

test('backoff is full jitter under an exponentially growing, capped ceiling', () => {
  const top = () => 0.999999;
  assert.equal(backoffSeconds(1, DEFAULT_BACKOFF, top), 2);
  assert.equal(backoffSeconds(2, DEFAULT_BACKOFF, top), 4);
  assert.equal(backoffSeconds(3, DEFAULT_BACKOFF, top), 8);
  assert.equal(backoffSeconds(20, DEFAULT_BACKOFF, top), 900);
  assert.equal(
    backoffSeconds(5, DEFAULT_BACKOFF, () => 0),
    0,
  );
  for (let i = 0; i < 100; i++) {
    const d = backoffSeconds(4, DEFAULT_BACKOFF, Math.random);
    assert.ok(d >= 0 && d <= 16, `delay ${d} out of [0, 16]`);
  }
});
