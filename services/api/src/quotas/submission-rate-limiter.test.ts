import assert from 'node:assert/strict';
import { test } from 'vitest';
import { SubmissionRateLimiter } from './submission-rate-limiter.ts';

function manualClock(start = Date.parse('2026-12-02T00:00:00Z')) {
  let ms = start;
  return { now: () => new Date(ms), advance: (by: number) => (ms += by) };
}

test('a bucket admits its limit at once, then one per refill interval', () => {
  const clock = manualClock();
  const limiter = new SubmissionRateLimiter(clock, 1);
  const rate = { limit: 2, windowSeconds: 10 };
  assert.deepEqual(
    [1, 2, 3].map(() => limiter.take('t', rate).admitted),
    [true, true, false],
  );
  const refused = limiter.take('t', rate);
  assert.equal(refused.retryAfterSeconds, 5, 'one token per 5 s');
  assert.equal(refused.headers['RateLimit-Policy'], '"submit";q=2;w=10');
  assert.equal(refused.headers.RateLimit, '"submit";r=0;t=10');
  clock.advance(4_999);
  assert.equal(limiter.take('t', rate).admitted, false);
  clock.advance(1);
  const admitted = limiter.take('t', rate);
  assert.equal(admitted.admitted, true);
  assert.equal(admitted.headers.RateLimit, '"submit";r=0;t=10');
});

test('each API instance enforces its share of the rate', () => {
  const clock = manualClock();
  const limiter = new SubmissionRateLimiter(clock, 4);
  const rate = { limit: 20, windowSeconds: 1 };
  const admitted = Array.from({ length: 10 }, () => limiter.take('t', rate).admitted).filter(Boolean).length;
  assert.equal(admitted, 5);
  assert.equal(limiter.take('t', rate).headers['RateLimit-Policy'], '"submit";q=5;w=1');
  assert.equal(limiter.take('other', rate).admitted, true, 'tenants have their own buckets');
});

test('a changed rate starts a fresh bucket; the least recently used bucket is forgotten past the cap', () => {
  const clock = manualClock();
  const limiter = new SubmissionRateLimiter(clock, 1, 2);
  const one = { limit: 1, windowSeconds: 60 };
  assert.equal(limiter.take('a', one).admitted, true);
  assert.equal(limiter.take('a', one).admitted, false);
  assert.equal(limiter.take('a', { limit: 3, windowSeconds: 60 }).admitted, true, 'the new setting applies at once');
  limiter.take('b', one);
  limiter.take('c', one);
  assert.equal(limiter.take('b', one).admitted, false, 'b is still remembered');
});
