import assert from 'node:assert/strict';
import { test } from 'vitest';
import { createJobRecord, type Job } from './job.ts';
import { cancelJob, claimForLaunch, failAttempt, recordLaunch, startAttempt, succeedAttempt } from './transitions.ts';

const t0 = new Date('2026-01-01T00:00:00.000Z');
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

function queued(): Job {
  return createJobRecord(
    '01JOB',
    { jobType: 'echo', payload: { message: 'hi' }, priority: 'normal', tenant: 't', orderingKey: null, maxAttempts: 2, timeoutSeconds: 60 },
    t0,
    { payload: { message: 'hi' }, payloadRef: null },
  );
}

/** Applies a transition the way a store would: check the expectation, merge, bump the version. */
function apply(
  job: Job,
  step: { expect: { status: readonly string[]; version?: number; attempt?: number }; changes: Partial<Job> } | null,
): Job {
  assert.ok(step, 'expected a transition');
  assert.ok(step.expect.status.includes(job.status));
  if (step.expect.version !== undefined) assert.equal(step.expect.version, job.version);
  if (step.expect.attempt !== undefined) assert.equal(step.expect.attempt, job.attempt);
  return { ...job, ...step.changes, version: job.version + 1 };
}

test('a queued job is claimed once; the second claim finds nothing to do', () => {
  const claimed = apply(queued(), claimForLaunch(queued(), at(1), 30));
  assert.equal(claimed.status, 'DISPATCHED');
  assert.equal(claimed.attempt, 1);
  assert.equal(claimed.attempts.length, 1);
  assert.equal(claimForLaunch(claimed, at(2), 30), null);
});

test('a claim abandoned before launch is re-claimed after the claim timeout, keeping its attempt number', () => {
  const claimed = apply(queued(), claimForLaunch(queued(), at(1), 30));
  assert.equal(claimForLaunch(claimed, at(20), 30), null);
  const reclaimed = apply(claimed, claimForLaunch(claimed, at(40), 30));
  assert.equal(reclaimed.attempt, 1);
  assert.equal(reclaimed.attempts[0]?.dispatchedAt, at(40).toISOString());
});

test('a launched claim is never re-claimed', () => {
  const claimed = apply(queued(), claimForLaunch(queued(), at(1), 30));
  const launched = apply(claimed, recordLaunch(claimed, 1, 'pid:1', at(2)));
  assert.equal(claimForLaunch(launched, at(1000), 30), null);
});

test('a worker that ends its job before the launch is recorded still leaves its ref on the attempt', () => {
  const claimed = apply(queued(), claimForLaunch(queued(), at(1), 30));
  const running = apply(claimed, startAttempt(claimed, 1, at(2)));
  const done = apply(running, succeedAttempt(running, 1, { result: { ok: true }, resultRef: null }, at(3)));
  const recorded = apply(done, recordLaunch(done, 1, 'pid:7', at(4)));
  assert.equal(recorded.status, 'SUCCEEDED');
  assert.equal(recorded.attempts[0]?.workerRef, 'pid:7');
  assert.equal(recordLaunch(done, 2, 'pid:8', at(4)), null, 'not for another attempt');
});

test('only the current attempt may start, succeed or fail', () => {
  const claimed = apply(queued(), claimForLaunch(queued(), at(1), 30));
  assert.equal(startAttempt(claimed, 2, at(2)), null);
  const running = apply(claimed, startAttempt(claimed, 1, at(2)));
  assert.equal(running.status, 'RUNNING');
  assert.equal(startAttempt(running, 1, at(3)), null, 'a second worker for the same attempt does not start');
  assert.equal(succeedAttempt(running, 2, { result: 1, resultRef: null }, at(3)), null);
  const done = apply(running, succeedAttempt(running, 1, { result: { ok: true }, resultRef: null }, at(3)));
  assert.equal(done.status, 'SUCCEEDED');
  assert.deepEqual(done.result, { ok: true });
  assert.equal(done.attempts[0]?.outcome, 'SUCCEEDED');
});

test('a retryable failure requeues until attempts run out, then the job fails with the last error', () => {
  let job = apply(queued(), claimForLaunch(queued(), at(1), 30));
  job = apply(job, startAttempt(job, 1, at(2)));
  const first = failAttempt(job, 1, { kind: 'retryable', message: 'throttled', handler: 'echo' }, at(3));
  assert.equal(first?.requeued, true);
  job = apply(job, first!.transition);
  assert.equal(job.status, 'QUEUED');
  job = apply(job, claimForLaunch(job, at(4), 30));
  assert.equal(job.attempt, 2);
  job = apply(job, startAttempt(job, 2, at(5)));
  const second = failAttempt(job, 2, { kind: 'retryable', message: 'throttled again', handler: 'echo' }, at(6));
  assert.equal(second?.requeued, false);
  job = apply(job, second!.transition);
  assert.equal(job.status, 'FAILED');
  assert.equal(job.error?.message, 'throttled again');
  assert.deepEqual(
    job.attempts.map((a) => a.outcome),
    ['FAILED', 'FAILED'],
  );
});

test('timeouts end TIMED_OUT and fatal errors end FAILED at once', () => {
  let job = apply(queued(), claimForLaunch(queued(), at(1), 30));
  job = apply(job, startAttempt(job, 1, at(2)));
  assert.equal(apply(job, failAttempt(job, 1, { kind: 'timeout', message: 't', handler: null }, at(3))!.transition).status, 'TIMED_OUT');
  assert.equal(apply(job, failAttempt(job, 1, { kind: 'fatal', message: 'f', handler: null }, at(3))!.transition).status, 'FAILED');
});

test('cancel works until the job is terminal', () => {
  const job = queued();
  assert.equal(apply(job, cancelJob(job, at(1))).status, 'CANCELLED');
  const cancelled = apply(job, cancelJob(job, at(1)));
  assert.equal(cancelJob(cancelled, at(2)), null);
});
