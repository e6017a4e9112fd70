import type { JsonObject } from '@agent-runner/shared/domain/job.ts';

const PREFIX = 'anthropic-ratelimit-';

/**
 * The `anthropic-ratelimit-*` headers of a response (requests / tokens / input-tokens /
 * output-tokens: limit, remaining, reset), keyed without the prefix, plus `retry-after` when the
 * API sent one; null when there are none.
 */
export function rateLimitsOf(headers: Headers): JsonObject | null {
  const limits: JsonObject = {};
  let found = false;
  for (const [name, value] of headers) {
    if (name.startsWith(PREFIX)) {
      limits[name.slice(PREFIX.length)] = value;
      found = true;
    }
  }
  const retryAfter = headers.get('retry-after');
  if (retryAfter !== null) {
    limits['retry-after'] = retryAfter;
    found = true;
  }
  return found ? limits : null;
}
