/**
 * A worker can move its job to RUNNING before the dispatcher that launched it records the launch;
 * if that dispatcher dies, the attempt stays RUNNING with no worker ref for good. The reaper judges
 * such an attempt by its heartbeat alone: real worker processes, one killed (reaped, retried, its
 * slots freed) and one alive (left alone, also once its late launch record lands).
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { DispatcherDeps } from '@agent-runner/dispatcher/dispatcher-deps.ts';
import { reapLostWorkers } from '@agent-runner/dispatcher/reap-lost-workers.ts';
import { systemClock, ulid } from '@agent-runner/shared/domain/ids.ts';
import { claimForLaunch, recordLaunch } from '@agent-runner/shared/domain/transitions.ts';
import { applyTransition } from '@agent-runner/shared/jobs/apply-transition.ts';
import { submitJob } from '@agent-runner/shared/jobs/submit-job.ts';
import { createLogger } from '@agent-runner/shared/observability/logger.ts';
import type { WorkerLauncher } from '@agent-runner/shared/ports/worker-launcher.ts';
import { backendsUnderTest, openBackend, type OpenedBackend } from '../support/backends.ts';
import { waitFor } from '../support/wait-for.ts';

const HEARTBEAT_SECONDS = 2;
const now = () => new Date();

for (const target of backendsUnderTest()) {
  describe(`reaping a RUNNING attempt whose launch was never recorded (${target.name})`, () => {
    let opened: OpenedBackend;
    let launcher: WorkerLauncher;
    let deps: DispatcherDeps;
    const workers: string[] = [];
    beforeAll(async () => {
      // Workers as local processes on both backends: the reaper's judgement is what is under test.
      opened = await openBackend(target, { AGENT_RUNNER_LAUNCHER: 'process', AGENT_RUNNER_HEARTBEAT_SECONDS: String(HEARTBEAT_SECONDS) });
      launcher = opened.backend.createLauncher();
      deps = {
        config: opened.config,
        jobs: opened.backend.jobs,
        queue: opened.backend.queue,
        leases: opened.backend.leases,
        launcher,
        clock: systemClock,
        log: createLogger('test', 'silent'),
        random: () => 0,
      } as unknown as DispatcherDeps;
    });
    afterAll(async () => {
      await Promise.all(workers.map((ref) => launcher.stop(ref, 'test over')));
      await opened?.close();
    });

    /** A sleep job claimed and its real worker started, the launch left unrecorded (its dispatcher died). */
    async function runningWithoutLaunchRecord(): Promise<{ jobId: string; workerRef: string }> {
      const { backend, config } = opened;
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
      await applyTransition(backend.jobs, job.jobId, (j) => claimForLaunch(j, now(), 30), now);
      assert.ok((await backend.leases.acquire(job.jobId, [{ key: 'global', limit: 100 }], now())).acquired);
      const { workerRef } = await launcher.launch({
        jobId: job.jobId,
        attempt: 1,
        jobType: 'sleep',
        env: { AGENT_RUNNER_HEARTBEAT_SECONDS: String(HEARTBEAT_SECONDS) },
      });
      workers.push(workerRef);
      await waitFor(
        'the worker to start the job',
        async () => ((await backend.jobs.get(job.jobId))?.status === 'RUNNING' ? true : undefined),
        { timeoutMs: 20_000 },
      );
      const record = await backend.jobs.get(job.jobId);
      assert.equal(record?.attempts[0]?.workerRef, null, 'RUNNING with no recorded launch');
      return { jobId: job.jobId, workerRef };
    }

    test('a dead worker is reaped by its silent heartbeat; a live one is left alone', async () => {
      const dead = await runningWithoutLaunchRecord();
      const alive = await runningWithoutLaunchRecord();
      process.kill(-Number(dead.workerRef.slice('pid:'.length)), 'SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, 200));
      // Silence is counted from the last heartbeat the dead worker wrote, which may predate the kill.
      const lastHeartbeat = Date.parse((await opened.backend.jobs.get(dead.jobId))?.heartbeatAt ?? '');
      assert.ok(Number.isFinite(lastHeartbeat), 'the dead worker had heartbeated');

      const reaped = await waitFor(
        'the reaper to fail the dead worker’s attempt',
        async () => {
          await reapLostWorkers(deps);
          const job = await opened.backend.jobs.get(dead.jobId);
          return job?.status === 'QUEUED' ? job : undefined;
        },
        { timeoutMs: 3 * HEARTBEAT_SECONDS * 1000 + 15_000, intervalMs: 500 },
      );
      assert.ok(Date.now() - lastHeartbeat >= 3 * HEARTBEAT_SECONDS * 1000, 'not before 3 heartbeats were missed');
      assert.equal(reaped.attempts[0]?.outcome, 'FAILED');
      assert.equal(reaped.attempts[0]?.error?.kind, 'lost');
      assert.match(reaped.attempts[0]?.error?.message ?? '', /launch never recorded.*no heartbeat/);
      const holders = new Set((await opened.backend.leases.list()).map((l) => l.holder));
      assert.ok(!holders.has(dead.jobId), 'the dead worker’s slots were released');
      assert.ok(holders.has(alive.jobId), 'the live worker keeps its slots');

      // The live one has outlived the dead one's silence by now: its fresh heartbeat keeps it.
      assert.equal((await opened.backend.jobs.get(alive.jobId))?.status, 'RUNNING');
      // Its launch record lands late (its dispatcher was only slow): still nothing to reap.
      await applyTransition(opened.backend.jobs, alive.jobId, (j) => recordLaunch(j, 1, alive.workerRef, now()), now);
      const report = await reapLostWorkers(deps);
      assert.equal(report.lost, 0);
      const live = await opened.backend.jobs.get(alive.jobId);
      assert.equal(live?.status, 'RUNNING');
      assert.equal(live?.attempts[0]?.workerRef, alive.workerRef);
    });
  });
}
