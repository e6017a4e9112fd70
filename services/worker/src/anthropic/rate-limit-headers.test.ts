import assert from 'node:assert/strict';
import { test } from 'vitest';
import { rateLimitsOf } from './rate-limit-headers.ts';

test('the anthropic-ratelimit-* headers and retry-after are picked out, others ignored', () => {
  const headers = new Headers({
    'anthropic-ratelimit-requests-limit': '4000',
    'anthropic-ratelimit-requests-remaining': '0',
    'Anthropic-RateLimit-Output-Tokens-Reset': '2026-11-24T08:00:00Z',
    'retry-after': '7',
    'request-id': 'req_1',
    'content-type': 'application/json',
  });
  assert.deepEqual(rateLimitsOf(headers), {
    'requests-limit': '4000',
    'requests-remaining': '0',
    'output-tokens-reset': '2026-11-24T08:00:00Z',
    'retry-after': '7',
  });
});

test('a response without rate-limit headers has none', () => {
  assert.equal(rateLimitsOf(new Headers({ 'content-type': 'application/json' })), null);
});
