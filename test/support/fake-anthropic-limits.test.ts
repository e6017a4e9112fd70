import assert from 'node:assert/strict';
import { test } from 'vitest';
import { FakeRateLimiter } from './fake-anthropic-limits.ts';

test('the fake enforces requests and output tokens per window, refilling continuously, with retry-after', () => {
  let now = Date.parse('2026-12-03T04:00:00.000Z');
  const limiter = new FakeRateLimiter({ requests: 5, inputTokens: 10_000, outputTokens: 400, windowMs: 10_000 }, () => now);
  for (let i = 0; i < 4; i++) assert.equal(limiter.take({ inputTokens: 10, outputTokens: 100 }).ok, true, `call ${i}`);
  // 400 output tokens reserved: the fifth call's 100 do not fit; 100 refill in 2.5 s.
  const refused = limiter.take({ inputTokens: 10, outputTokens: 100 });
  assert.equal(refused.ok, false);
  assert.equal(!refused.ok && refused.dimension, 'output-tokens');
  assert.equal(refused.headers['retry-after'], '3');
  assert.equal(refused.headers['anthropic-ratelimit-output-tokens-remaining'], '0');
  assert.equal(refused.headers['anthropic-ratelimit-requests-remaining'], '1');
  assert.equal(refused.headers['anthropic-ratelimit-output-tokens-reset'], '2026-12-03T04:00:10Z');
  assert.equal(refused.headers['anthropic-ratelimit-tokens-remaining'], '0', 'tokens-*: the tighter of input and output');
  // Calls that used 10 of their 100 give back 90 each.
  for (let i = 0; i < 4; i++) limiter.refundOutput(90);
  const taken = limiter.take({ inputTokens: 10, outputTokens: 100 });
  assert.equal(taken.ok, true);
  assert.equal(taken.headers['anthropic-ratelimit-output-tokens-remaining'], '260');
  // The requests bucket is empty now; 2 s later one request has refilled.
  assert.equal(limiter.take({ inputTokens: 10, outputTokens: 1 }).ok, false);
  now += 2_000;
  const later = limiter.take({ inputTokens: 10, outputTokens: 1 });
  assert.equal(later.ok, true);
  assert.equal(later.headers['anthropic-ratelimit-requests-remaining'], '0');
  assert.equal(later.headers['anthropic-ratelimit-requests-reset'], '2026-12-03T04:00:12Z');
});
