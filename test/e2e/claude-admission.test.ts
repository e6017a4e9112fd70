/**
 * Rate-limit-aware admission, end to end: claude_chat jobs through the real API, dispatcher,
 * workers and SDK, against the fake Messages API enforcing 6 requests and 1,200 output tokens per
 * 6 s window (a minute's limits, scaled down to keep the test short). With admission the
 * dispatcher holds what the limits have no room for, so the API answers (almost) no 429 while
 * every job succeeds; without it, the same jobs run into 429s.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { runClaudeUnderLimits } from '../support/claude-under-limits.ts';
import { backendNames } from '../support/system.ts';

const LIMITS = { requests: 6, inputTokens: 100_000, outputTokens: 1_200, windowMs: 6_000 };
// 200 reserved per call: the output limit admits 6 calls a window, as the request limit does. One
// call a second is below what 16 workers starting at once ask for, even on a busy machine.
const MAX_TOKENS = 200;

for (const backend of backendNames()) {
  // On AWS every job costs a dozen emulator calls: fewer jobs, still past two windows' worth.
  const jobs = backend === 'embedded' ? 24 : 12;

  describe(`Claude admission (${backend})`, () => {
    test(`${jobs} claude_chat jobs over the limits: almost no 429, every job succeeds`, { timeout: 240_000 }, async () => {
      const run = await runClaudeUnderLimits({ backend, admission: 'on', jobs, limits: LIMITS, maxTokens: MAX_TOKENS, timeoutMs: 200_000 });
      console.log(
        `claude admission (${backend}): ${run.rateLimited} of ${run.calls} calls 429, ${run.succeeded} succeeded, ${run.seconds} s`,
      );
      assert.equal(run.succeeded, jobs);
      assert.ok(run.rateLimited <= 1, `${run.rateLimited} of ${run.calls} calls answered 429`);
      // The limits were binding: the calls spread over at least the time the buckets need to refill.
      const span = (run.arrivalsMs.at(-1)! - run.arrivalsMs[0]!) / 1000;
      const refillSeconds = ((jobs - LIMITS.requests) / LIMITS.requests) * (LIMITS.windowMs / 1000);
      assert.ok(span >= refillSeconds * 0.9, `calls spread over ${span} s, the limits need ${refillSeconds} s`);
    });

    if (backend === 'embedded') {
      test('the same jobs without admission run into 429s', { timeout: 120_000 }, async () => {
        const run = await runClaudeUnderLimits({
          backend,
          admission: 'off',
          jobs,
          limits: LIMITS,
          maxTokens: MAX_TOKENS,
          timeoutMs: 100_000,
        });
        assert.ok(run.rateLimited >= 5, `only ${run.rateLimited} of ${run.calls} calls answered 429`);
      });
    }
  });
}
