/**
 * The real worker process told to stop mid-job (SIGTERM, what ECS StopTask and the process launcher
 * send before SIGKILL), on the embedded backend: it stops its handler at once, records that, and
 * leaves the verdict to the reaper — unless the job was cancelled, which it then honours.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { createProcessLauncher } from '@agent-runner/shared/adapters/process/process-launcher.ts';
import type { Backend } from '@agent-runner/shared/compose/backend.ts';
import { createBackend } from '@agent-runner/shared/compose/create-backend.ts';
import { loadConfig, type Config } from '@agent-runner/shared/config/config.ts';
import { systemClock, ulid } from '@agent-runner/shared/domain/ids.ts';
import { cancelJob, claimForLaunch, recordLaunch } from '@agent-runner/shared/domain/transitions.ts';
import { applyTransition } from '@agent-runner/shared/jobs/apply-transition.ts';
import { submitJob } from '@agent-runner/shared/jobs/submit-job.ts';
import type { WorkerLauncher, WorkerState } from '@agent-runner/shared/ports/worker-launcher.ts';
import { waitFor } from '../support/wait-for.ts';

describe('a worker told to stop (embedded only)', () => {
  let dir: string;
  let config: Config;
  let backend: Backend;
  let launcher: WorkerLauncher;
  const now = () => new Date();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'agent-runner-worker-stop-'));
    config = loadConfig({ AGENT_RUNNER_DATA_DIR: dir, AGENT_RUNNER_LOG_LEVEL: 'warn', AGENT_RUNNER_HEARTBEAT_SECONDS: '1' });
    backend = await createBackend(config);
    // A 10 s grace: a worker that ignored SIGTERM would be SIGKILLed only after the test's patience.
    launcher = createProcessLauncher(config, { stopGraceMs: 10_000 });
  });
  afterAll(async () => {
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Submits a long sleep job and launches the real worker for it, as the dispatcher does. */
  async function runningSleepJob(): Promise<{ jobId: string; workerRef: string }> {
    const job = await submitJob(
      {
        jobs: backend.jobs,
        queue: backend.queue,
        blobs: backend.blobs,
        clock: systemClock,
        newId: ulid,
        inlineLimitBytes: config.inlineLimitBytes,
      },
      {
        jobType: 'sleep',
        payload: { ms: 60_000 },
        priority: 'normal',
        tenant: 't',
        orderingKey: null,
        maxAttempts: 3,
        timeoutSeconds: 120,
      },
    );
    const claimed = await applyTransition(backend.jobs, job.jobId, (j) => claimForLaunch(j, now(), 30), now);
    const { workerRef } = await launcher.launch({ jobId: job.jobId, attempt: claimed.job.attempt, jobType: 'sleep' });
    await applyTransition(backend.jobs, job.jobId, (j) => recordLaunch(j, 1, workerRef, now()), now);
    await waitFor(
      'the worker to start the job',
      async () => ((await backend.jobs.get(job.jobId))?.status === 'RUNNING' ? true : undefined),
      { timeoutMs: 15_000 },
    );
    return { jobId: job.jobId, workerRef };
  }

  async function stopped(workerRef: string): Promise<Extract<WorkerState, { state: 'stopped' }>> {
    return waitFor(
      'the worker to exit',
      async () => {
        const state = await launcher.inspect(workerRef);
        return state.state === 'stopped' ? state : undefined;
      },
      { timeoutMs: 8_000, intervalMs: 20 },
    );
  }

  test('on SIGTERM it stops the handler at once, exits 1, and leaves the attempt for the reaper to judge', async () => {
    const { jobId, workerRef } = await runningSleepJob();
    const signalledAt = Date.now();
    void launcher.stop(workerRef, 'test: stop');
    const state = await stopped(workerRef);
    assert.equal(state.exitCode, 1, 'exited by itself (a SIGKILL leaves no exit code)');
    assert.ok(Date.now() - signalledAt < 5_000, 'well within the grace period');
    const job = await backend.jobs.get(jobId);
    assert.equal(job?.status, 'RUNNING', 'no verdict written: a lost worker is the reaper’s to retry');
    const events = await backend.events.read(jobId, 0, 100);
    assert.ok(
      events.some((e) => e.type === 'attempt_stopped'),
      events.map((e) => e.type).join(', '),
    );
  });

  test('a cancelled job’s worker told to stop ends as cancelled and exits 0', async () => {
    const { jobId, workerRef } = await runningSleepJob();
    await applyTransition(backend.jobs, jobId, (j) => cancelJob(j, now()), now);
    void launcher.stop(workerRef, 'test: cancelled');
    const state = await stopped(workerRef);
    assert.equal(state.exitCode, 0);
    assert.equal((await backend.jobs.get(jobId))?.status, 'CANCELLED');
  });
});
