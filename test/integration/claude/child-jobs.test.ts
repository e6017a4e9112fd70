/**
 * The child job runner behind submit_job, on the real embedded backend: the child is submitted
 * like a POST /jobs, and the real worker code (runJobAttempt) runs it after a dispatcher-style claim.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { ValidationError } from '@agent-runner/shared/domain/errors.ts';
import { systemClock, ulid } from '@agent-runner/shared/domain/ids.ts';
import type { JsonObject } from '@agent-runner/shared/domain/job.ts';
import { addAttemptSpend, claimForLaunch } from '@agent-runner/shared/domain/transitions.ts';
import { applyTransition } from '@agent-runner/shared/jobs/apply-transition.ts';
import { createLogger } from '@agent-runner/shared/observability/logger.ts';
import { createChildJobRunner } from '@agent-runner/worker/child-jobs.ts';
import type { ChildJobRunner } from '@agent-runner/worker/handlers/job-handler.ts';
import { runJobAttempt } from '@agent-runner/worker/run-job-attempt.ts';
import { backendsUnderTest, openBackend, type OpenedBackend } from '../../support/backends.ts';
import { waitFor } from '../../support/wait-for.ts';

let opened: OpenedBackend;
let runner: ChildJobRunner;
const parent = { jobId: 'parent-job', tenant: 'team-a', priority: 'high' as const };

beforeAll(async () => {
  const embedded = backendsUnderTest().find((b) => b.name === 'embedded') ?? { name: 'embedded' as const, makeEnv: async () => ({}) };
  opened = await openBackend(embedded);
  const { backend, config } = opened;
  runner = createChildJobRunner({
    submit: {
      jobs: backend.jobs,
      queue: backend.queue,
      blobs: backend.blobs,
      clock: systemClock,
      newId: ulid,
      inlineLimitBytes: config.inlineLimitBytes,
    },
    config,
    parent,
    pollMs: 20,
  });
});
afterAll(() => opened.close());

/** Plays dispatcher and worker for the next QUEUED job of `jobType`: claim it, run the attempt. */
async function runNextQueued(jobType: string): Promise<string> {
  const { backend, config } = opened;
  const job = await waitFor(`a queued ${jobType} job`, async () =>
    (await backend.jobs.listByStatus('QUEUED', 50)).find((j) => j.jobType === jobType),
  );
  const claimed = await applyTransition(
    backend.jobs,
    job.jobId,
    (j) => claimForLaunch(j, new Date(), 30),
    () => new Date(),
  );
  assert.ok(claimed.applied);
  const outcome = await runJobAttempt(
    { config, backend, clock: systemClock, log: createLogger('worker-test', 'silent'), workerId: 'test-worker', random: Math.random },
    job.jobId,
    claimed.job.attempt,
  );
  assert.ok(outcome === 'succeeded' || outcome === 'failed', outcome);
  return job.jobId;
}

test('a child job is submitted with the parent’s tenant and priority, and its result comes back when it ends', async () => {
  const waiting = runner.runChildJob({ jobType: 'echo', payload: { message: 'from the agent' } }, new AbortController().signal);
  const childId = await runNextQueued('echo');

  const outcome = await waiting;
  assert.equal(outcome.jobId, childId);
  assert.equal(outcome.status, 'SUCCEEDED');
  assert.equal((outcome.result as JsonObject).echoed_message, 'from the agent');
  assert.equal(outcome.error, null);
  const child = await opened.backend.jobs.get(childId);
  assert.equal(child?.tenant, 'team-a');
  assert.equal(child?.priority, 'high');
});

test('a child that fails is reported with its error, not thrown', async () => {
  const waiting = runner.runChildJob({ jobType: 'echo', payload: { message: 'x', fail: 'fatal' } }, new AbortController().signal);
  await runNextQueued('echo');
  const outcome = await waiting;
  assert.equal(outcome.status, 'FAILED');
  assert.equal(outcome.result, null);
  assert.equal(outcome.error?.kind, 'fatal');
  assert.match(outcome.error?.message ?? '', /echo was asked to fail/);
});

test('each child reports what its record says it spent, and the runner sums the children that ended', async () => {
  const { backend, config } = opened;
  const own = createChildJobRunner({
    submit: {
      jobs: backend.jobs,
      queue: backend.queue,
      blobs: backend.blobs,
      clock: systemClock,
      newId: ulid,
      inlineLimitBytes: config.inlineLimitBytes,
    },
    config,
    parent,
    pollMs: 20,
  });
  assert.equal(own.spentUsd(), 0);
  const costs = [0.125, 0.25];
  for (const cost of costs) {
    const waiting = own.runChildJob({ jobType: 'echo', payload: { message: `costs ${cost}` } }, new AbortController().signal);
    // What a worker's heartbeat or last write puts on the child's record: its model calls' spend.
    const queued = await waitFor('the child queued', async () =>
      (await backend.jobs.listByStatus('QUEUED', 50)).find((j) => j.jobType === 'echo'),
    );
    const totals = { calls: 1, input_tokens: 10, output_tokens: 10, cache_write_tokens: 0, cache_read_tokens: 0, cost_usd: cost };
    await applyTransition(
      backend.jobs,
      queued.jobId,
      (j) => addAttemptSpend(j, { usage: { ...totals, by_model: { m: totals } }, rateLimits: null }),
      () => new Date(),
    );
    await runNextQueued('echo');
    assert.equal((await waiting).costUsd, cost);
  }
  assert.equal(own.spentUsd(), 0.375);
});

test('an unknown type or a bad payload is refused as a ValidationError and nothing is recorded', async () => {
  const before = (await opened.backend.jobs.listByStatus('QUEUED', 100)).length;
  const signal = new AbortController().signal;
  await assert.rejects(
    runner.runChildJob({ jobType: 'nope', payload: {} }, signal),
    (e: unknown) => e instanceof ValidationError && /unknown job type "nope"; known job types: .*echo/.test(e.message),
  );
  await assert.rejects(
    runner.runChildJob({ jobType: 'echo', payload: { msg: 1 } }, signal),
    (e: unknown) => e instanceof ValidationError && /payload is not valid for job type "echo"/.test(e.message),
  );
  await assert.rejects(
    runner.runChildJob({ jobType: 'claude_chat', payload: { prompt: 'hi', model: 'not-a-model' } }, signal),
    (e: unknown) => e instanceof ValidationError && /model: model "not-a-model" is not allowed/.test(e.message),
  );
  assert.equal((await opened.backend.jobs.listByStatus('QUEUED', 100)).length, before);
});

test('the parent stops waiting when its signal aborts, and its unfinished child is cancelled', async () => {
  const abort = new AbortController();
  const reason = new Error('aborted: cancelled');
  const waiting = runner.runChildJob({ jobType: 'sleep', payload: { ms: 1 } }, abort.signal);
  const child = await waitFor('the child to be recorded', async () =>
    (await opened.backend.jobs.listByStatus('QUEUED', 50)).find((j) => j.jobType === 'sleep'),
  );
  abort.abort(reason);
  await assert.rejects(waiting, (e: unknown) => e === reason);
  const after = await opened.backend.jobs.get(child.jobId);
  assert.equal(after?.status, 'CANCELLED');
  assert.equal(after?.error?.kind, 'cancelled');
});
