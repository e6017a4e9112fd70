import assert from 'node:assert/strict';
import { test } from 'vitest';
import { TokenBucket } from './token-bucket.ts';

function manualClock(start = 0) {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => (t += ms) };
}

test('allows a burst, then the sustained rate', () => {
  const clock = manualClock();
  const bucket = new TokenBucket(10, 3, clock);
  assert.deepEqual([bucket.tryTake(), bucket.tryTake(), bucket.tryTake(), bucket.tryTake()], [true, true, true, false]);
  assert.equal(bucket.msUntilNext(), 100);
  clock.advance(100);
  assert.equal(bucket.tryTake(), true);
  assert.equal(bucket.tryTake(), false);
  clock.advance(10_000);
  let taken = 0;
  while (bucket.tryTake()) taken++;
  assert.equal(taken, 3, 'refill is capped at the burst');
});

test('a throttle penalty delays the next token', () => {
  const clock = manualClock();
  const bucket = new TokenBucket(10, 5, clock);
  bucket.penalize(2);
  assert.equal(bucket.tryTake(), false);
  assert.equal(bucket.msUntilNext(), 2100);
  clock.advance(2100);
  assert.equal(bucket.tryTake(), true);
});
