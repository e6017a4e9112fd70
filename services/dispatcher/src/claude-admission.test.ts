import assert from 'node:assert/strict';
import { test } from 'vitest';
import { ClaudeAdmission, type ClaudeCost } from './claude-admission.ts';

const MODEL = 'claude-sonnet-5-5';
const T0 = Date.parse('2026-12-03T04:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const cost = (output: number, input = 100): ClaudeCost => ({ requests: 1, 'input-tokens': input, 'output-tokens': output });

/** Headers as a worker records them: 50 requests and 4,000 output tokens per minute. */
function headers(at: number, remaining: { requests: number; output: number }, resetInMs = 60_000): Record<string, string> {
  return {
    'requests-limit': '50',
    'requests-remaining': String(remaining.requests),
    'requests-reset': iso(at + resetInMs),
    'input-tokens-limit': '400000',
    'input-tokens-remaining': '400000',
    'input-tokens-reset': iso(at),
    'output-tokens-limit': '4000',
    'output-tokens-remaining': String(remaining.output),
    'output-tokens-reset': iso(at + resetInMs),
  };
}

test('knowing nothing of a model, one job goes as a probe and the next waits for what it learns', () => {
  const admission = new ClaudeAdmission({ probeMs: 5_000 });
  assert.deepEqual(admission.check(MODEL, cost(100), T0), { admit: true });
  admission.admitted(MODEL, 'probe', cost(100), T0);
  const held = admission.check(MODEL, cost(100), T0 + 1_000);
  assert.deepEqual(held, { admit: false, retryInMs: 4_000, dimension: 'probe' });
  // No answer within probeMs (the probe is still starting): another probe may go.
  assert.equal(admission.check(MODEL, cost(100), T0 + 5_000).admit, true);
  // The answer arrives: from now on the buckets decide.
  admission.observe(
    { model: MODEL, jobId: 'probe', headers: headers(T0 + 2_000, { requests: 49, output: 3_900 }), observedAtMs: T0 + 2_000 },
    T0 + 3_000,
  );
  assert.equal(admission.check(MODEL, cost(100), T0 + 3_000).admit, true);
});

test('responses without rate-limit headers: every job is admitted, as without admission', () => {
  const admission = new ClaudeAdmission();
  admission.admitted(MODEL, 'probe', cost(100), T0);
  admission.observeHeaderless(MODEL);
  for (let i = 0; i < 1_000; i++) {
    assert.equal(admission.check(MODEL, cost(4_000), T0).admit, true);
    admission.admitted(MODEL, `job-${i}`, cost(4_000), T0);
  }
});

test('jobs launched after a snapshot count against it until a later snapshot includes them', () => {
  const admission = new ClaudeAdmission();
  admission.observe({ model: MODEL, jobId: 'a', headers: headers(T0, { requests: 10, output: 1_000 }, 45_000), observedAtMs: T0 }, T0);
  // 1,000 output tokens left: four jobs of 250 fit, the fifth does not.
  for (let i = 0; i < 4; i++) {
    assert.equal(admission.check(MODEL, cost(250), T0).admit, true, `job ${i}`);
    admission.admitted(MODEL, `job-${i}`, cost(250), T0);
  }
  const held = admission.check(MODEL, cost(250), T0);
  assert.equal(held.admit, false);
  assert.equal(!held.admit && held.dimension, 'output-tokens');
  // The bucket refills at 4,000/min (reset: the 3,000 used are back in 45 s): 250 take 3.75 s.
  assert.equal(!held.admit && held.retryInMs, 3_750);
  assert.equal(admission.check(MODEL, cost(250), T0 + 3_700).admit, false);
  assert.equal(admission.check(MODEL, cost(250), T0 + 3_750).admit, true);
  // A later snapshot that includes two of them (they answered before it) and says little was used:
  // the two not yet seen answered still count.
  admission.observe(
    { model: MODEL, jobId: 'job-0', headers: headers(T0 + 1_000, { requests: 49, output: 3_950 }), observedAtMs: T0 + 1_000 },
    T0 + 1_000,
  );
  admission.observe(
    { model: MODEL, jobId: 'job-1', headers: headers(T0 + 1_000, { requests: 49, output: 3_950 }), observedAtMs: T0 + 1_000 },
    T0 + 1_000,
  );
  assert.equal(admission.availableAt(MODEL, 'output-tokens', T0 + 1_000), 3_950 - 2 * 250);
  // job-2 is retried: its record still carries its first attempt's headers, which say nothing of the new one.
  admission.admitted(MODEL, 'job-2', cost(250), T0 + 2_000);
  admission.observe(
    { model: MODEL, jobId: 'job-2', headers: headers(T0 + 1_500, { requests: 48, output: 3_900 }), observedAtMs: T0 + 1_500 },
    T0 + 2_000,
  );
  assert.ok(Math.abs(admission.availableAt(MODEL, 'output-tokens', T0 + 2_000)! - (3_900 + 500 / 15 - 2 * 250)) < 1e-6);
});

test('a job larger than the whole limit waits for a full bucket rather than forever', () => {
  const admission = new ClaudeAdmission();
  admission.observe({ model: MODEL, jobId: 'a', headers: headers(T0, { requests: 50, output: 3_000 }), observedAtMs: T0 }, T0);
  const held = admission.check(MODEL, cost(8_192), T0);
  assert.equal(held.admit, false);
  assert.equal(!held.admit && held.retryInMs, 15_000);
  assert.equal(admission.check(MODEL, cost(8_192), T0 + 15_000).admit, true);
});

test('the refill rate comes from reset when the window is shorter than a minute, never slower than per minute', () => {
  const admission = new ClaudeAdmission();
  // 40 of 50 requests used, full again in 12 s: a 15 s window (50 per 15 s).
  admission.observe({ model: MODEL, jobId: 'a', headers: headers(T0, { requests: 10, output: 4_000 }, 12_000), observedAtMs: T0 }, T0);
  assert.ok(Math.abs(admission.availableAt(MODEL, 'requests', T0 + 3_000)! - 20) < 1e-9);
  const slow = new ClaudeAdmission();
  // reset far beyond a minute (a clock skew): the per-minute rate still applies.
  slow.observe({ model: MODEL, jobId: 'a', headers: headers(T0, { requests: 10, output: 4_000 }, 600_000), observedAtMs: T0 }, T0);
  assert.ok(Math.abs(slow.availableAt(MODEL, 'requests', T0 + 6_000)! - 15) < 1e-9);
});

test('an older snapshot than the one held is ignored; models are independent', () => {
  const admission = new ClaudeAdmission();
  admission.observe(
    { model: MODEL, jobId: 'a', headers: headers(T0 + 1_000, { requests: 0, output: 0 }), observedAtMs: T0 + 1_000 },
    T0 + 1_000,
  );
  admission.observe({ model: MODEL, jobId: 'b', headers: headers(T0, { requests: 50, output: 4_000 }), observedAtMs: T0 }, T0 + 1_000);
  assert.equal(admission.check(MODEL, cost(100), T0 + 1_000).admit, false);
  assert.equal(admission.check('claude-haiku-5', cost(100), T0 + 1_000).admit, true);
});

test('a job that ended without calling the API is forgotten; one admitted long before a snapshot is in it', () => {
  const admission = new ClaudeAdmission({ maxLagMs: 10_000 });
  admission.observe({ model: MODEL, jobId: 'a', headers: headers(T0, { requests: 50, output: 4_000 }), observedAtMs: T0 }, T0);
  admission.admitted(MODEL, 'never-called', cost(1_000), T0);
  admission.admitted(MODEL, 'slow-start', cost(1_000), T0);
  assert.equal(admission.availableAt(MODEL, 'output-tokens', T0), 2_000);
  admission.forget(MODEL, 'never-called');
  assert.equal(admission.availableAt(MODEL, 'output-tokens', T0), 3_000);
  // 20 s later another job's answer: `slow-start`, admitted more than maxLag before, is assumed in it.
  admission.observe(
    { model: MODEL, jobId: 'b', headers: headers(T0 + 20_000, { requests: 48, output: 3_500 }), observedAtMs: T0 + 20_000 },
    T0 + 20_000,
  );
  assert.equal(admission.availableAt(MODEL, 'output-tokens', T0 + 20_000), 3_500);
});
