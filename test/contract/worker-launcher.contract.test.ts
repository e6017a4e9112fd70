import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { parsePoolWorkerRef } from '@agent-runner/shared/adapters/process/pool-launcher.ts';
import { ulid } from '@agent-runner/shared/domain/ids.ts';
import { createJobRecord, type Isolation } from '@agent-runner/shared/domain/job.ts';
import { claimForLaunch } from '@agent-runner/shared/domain/transitions.ts';
import { applyTransition } from '@agent-runner/shared/jobs/apply-transition.ts';
import type { LaunchRequest, WorkerLauncher, WorkerState } from '@agent-runner/shared/ports/worker-launcher.ts';
import { backendsUnderTest, openBackend, type OpenedBackend } from '../support/backends.ts';
import { waitFor } from '../support/wait-for.ts';
import type { EcsPoolService } from '../support/ecs-pool-service.ts';
import type { EcsTaskRunner } from '../support/ecs-task-runner.ts';

/**
 * The same cases on every launcher, where they are comparable: ECS, a process per attempt, and a
 * warm pool (the process launcher's `pooled` isolation, and the ecs launcher's: the pool queue). On
 * the emulator a task is only a record (moto runs no container), so what a worker does by itself —
 * print, exit with a code — is checked on local processes alone; what the launch asked for is read
 * back from the task.
 *
 * A one-shot launch starts a stand-in worker that sleeps; a pool worker is the real one (it is
 * not a command to swap), so a pooled launch hands it a real job, waiting in the store for that
 * attempt, whose handler sleeps. On AWS the pool's tasks are started as its ECS service would
 * (EcsPoolService) and run by the EcsTaskRunner; a hand-off is `waiting` until one of them starts
 * it, so there a launched worker is awaited `running` rather than expected so at once.
 */
const STAND_IN = fileURLToPath(new URL('../support/stand-in-worker.ts', import.meta.url));

function oneShotRequest(env: Record<string, string> = {}): LaunchRequest {
  return { jobId: ulid(new Date()), attempt: 1, jobType: 'echo', env: { STAND_IN_SLEEP_MS: '60000', ...env } };
}

/** An echo job that sleeps a minute, claimed (DISPATCHED, attempt 1) as the dispatcher leaves it before a launch. */
async function waitingJob(opened: OpenedBackend, isolation: Isolation): Promise<{ jobId: string; attempt: number }> {
  const now = new Date();
  const jobId = ulid(now);
  const job = createJobRecord(
    jobId,
    {
      jobType: 'echo',
      payload: { message: 'contract', sleep_ms: 60_000 },
      priority: 'normal',
      tenant: 'contract',
      orderingKey: null,
      isolation,
      maxAttempts: 1,
      timeoutSeconds: 300,
    },
    now,
    { payload: { message: 'contract', sleep_ms: 60_000 }, payloadRef: null },
  );
  await opened.backend.jobs.create(job);
  const claimed = await applyTransition(
    opened.backend.jobs,
    jobId,
    (j) => claimForLaunch(j, new Date(), 30),
    () => new Date(),
  );
  assert.ok(claimed.applied);
  return { jobId, attempt: claimed.job.attempt };
}

async function stateBecomes(launcher: WorkerLauncher, workerRef: string, state: WorkerState['state']): Promise<WorkerState> {
  return waitFor(
    `worker ${workerRef} to be ${state}`,
    async () => {
      const seen = await launcher.inspect(workerRef);
      return seen.state === state ? seen : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 50 },
  );
}

const VARIANTS = backendsUnderTest().flatMap((target) => (['one_shot', 'pooled'] as const).map((isolation) => ({ target, isolation })));

for (const { target, isolation } of VARIANTS) {
  describe(`WorkerLauncher contract (${target.name}, ${isolation})`, () => {
    let opened: OpenedBackend;
    let launcher: WorkerLauncher;
    const launched: string[] = [];
    const pooled = isolation === 'pooled';
    /** The ecs launcher's pool: hand-offs on the pool queue, taken by the pool service's tasks. */
    const queuePool = pooled && target.name === 'aws';
    let tasks: EcsTaskRunner | null = null;
    let poolService: EcsPoolService | null = null;
    beforeAll(async () => {
      opened = await openBackend(target, {
        AGENT_RUNNER_WORKER_COMMAND: `${process.execPath},${STAND_IN}`,
        // Two kept warm: a stopped job's worker retires, and the next case need not wait for a fork.
        AGENT_RUNNER_POOL_MIN: '2',
        AGENT_RUNNER_POOL_MAX: '8',
      });
      launcher = opened.backend.createLauncher();
      if (queuePool) {
        tasks = new (await import('../support/ecs-task-runner.ts')).EcsTaskRunner(opened.env);
        tasks.start();
        poolService = new (await import('../support/ecs-pool-service.ts')).EcsPoolService(opened.env, 2);
        poolService.start();
      }
    });
    afterAll(async () => {
      for (const ref of launched) await launcher.stop(ref, 'test over').catch(() => {});
      await poolService?.stop();
      await tasks?.stop();
      await launcher?.close?.();
      await opened?.close();
    });

    /** Launches; a hand-off on the pool queue is awaited until a pool task has started it. */
    async function launch(req: LaunchRequest): Promise<string> {
      const { workerRef } = await launcher.launch(req);
      launched.push(workerRef);
      if (queuePool) await stateBecomes(launcher, workerRef, 'running');
      return workerRef;
    }

    /** A launch request; pooled: for a job waiting in the store for that attempt, which sleeps. */
    async function request(env: Record<string, string> = {}): Promise<LaunchRequest> {
      if (!pooled) return oneShotRequest(env);
      return { ...(await waitingJob(opened, 'pooled')), jobType: 'echo', isolation: 'pooled' };
    }

    test('a launched worker is running until stopped, then stopped', async () => {
      const workerRef = await launch(await request());
      assert.ok(workerRef.length > 0);
      assert.deepEqual(await launcher.inspect(workerRef), { state: 'running' });
      await launcher.stop(workerRef, 'contract test');
      const stopped = await stateBecomes(launcher, workerRef, 'stopped');
      assert.equal(stopped.state, 'stopped');
    });

    test('stopping a worker that already stopped is harmless', async () => {
      const workerRef = await launch(await request());
      await launcher.stop(workerRef, 'first');
      await stateBecomes(launcher, workerRef, 'stopped');
      await launcher.stop(workerRef, 'second');
      assert.equal((await launcher.inspect(workerRef)).state, 'stopped');
    });

    test('the pool worker is given the job id and attempt: it starts that attempt', { skip: !pooled }, async () => {
      const handed = await request();
      const workerRef = await launch(handed);
      const started = await waitFor(
        'the pooled attempt to start',
        async () => {
          const job = await opened.backend.jobs.get(handed.jobId);
          return job?.status === 'RUNNING' ? job : undefined;
        },
        { timeoutMs: 15_000, intervalMs: 25 },
      );
      assert.equal(started.attempt, handed.attempt);
      assert.equal(started.attempts[0]?.startedAt !== null, true);
      await launcher.stop(workerRef, 'contract test');
      await stateBecomes(launcher, workerRef, 'stopped');
    });

    // A pool worker's environment is set when it starts, not per launch: nothing per launch to read back.
    test('the worker is given its job id, its attempt and the launch settings', { skip: pooled }, async () => {
      const launch = { ...oneShotRequest({ STAND_IN_MARK: 'launch-setting' }), attempt: 3 };
      const { workerRef } = await launcher.launch(launch);
      launched.push(workerRef);
      const env = target.name === 'aws' ? await taskEnvironment(opened, workerRef) : await processEnvironment(opened, launch);
      assert.equal(env.JOB_ID, launch.jobId);
      assert.equal(env.JOB_ATTEMPT, '3');
      assert.equal(env.STAND_IN_MARK, 'launch-setting');
      await launcher.stop(workerRef, 'contract test');
    });

    test('inspectAll answers for every ref asked, as inspect does for each', async () => {
      const running = await launch(await request());
      const stopped = await launch(await request());
      await launcher.stop(stopped, 'contract test');
      await stateBecomes(launcher, stopped, 'stopped');
      // A ref of the launcher's own kind that names no worker it can find.
      const unknown = queuePool
        ? running.replace(/:[A-Za-z0-9_-]+:(\d+)$/, ':01M8X1TC05A8W5MDR4WKFQ3ZMF:$1')
        : target.name === 'aws'
          ? running.replace(/[^/]+$/, '0'.repeat(32))
          : pooled
            ? 'pool:4194303999:01M8X1TC05A8W5MDR4WKFQ3ZMF:1'
            : 'pid:4194303999';
      const states = await launcher.inspectAll([running, stopped, unknown, running]);
      assert.deepEqual([...states.keys()].sort(), [running, stopped, unknown].sort());
      for (const ref of [running, stopped, unknown]) assert.deepEqual(states.get(ref), await launcher.inspect(ref), ref);
      assert.deepEqual(
        [states.get(running)?.state, states.get(stopped)?.state, states.get(unknown)?.state],
        ['running', 'stopped', 'unknown'],
      );
      assert.equal((await launcher.inspectAll([])).size, 0);
    });

    test('a pool worker that dies mid-job leaves the attempt stopped, with how it died', { skip: !pooled }, async () => {
      const handed = await request();
      const workerRef = await launch(handed);
      if (!queuePool) {
        process.kill(parsePoolWorkerRef(workerRef)!.pid, 'SIGKILL');
        const stopped = await stateBecomes(launcher, workerRef, 'stopped');
        assert.deepEqual(stopped, { state: 'stopped', exitCode: null, reason: 'pool worker killed by SIGKILL' });
        return;
      }
      // The task its start recorded: killed, it is stopped (the runner stops it, as ECS would), and said so.
      const taskArn = (await opened.backend.jobs.get(handed.jobId))?.attempts[0]?.taskArn;
      assert.ok(taskArn && tasks!.kill(taskArn, 'SIGKILL'), `the attempt's task ${taskArn} runs here`);
      const stopped = await stateBecomes(launcher, workerRef, 'stopped');
      assert.match(stopped.state === 'stopped' ? (stopped.reason ?? '') : '', /SIGKILL/);
    });

    test('a worker that exits by itself is stopped with its exit code', {
      skip: Boolean((target.name === 'aws' && 'emulated tasks never run') || pooled),
    }, async () => {
      const { workerRef } = await launcher.launch(oneShotRequest({ STAND_IN_SLEEP_MS: '0', STAND_IN_EXIT_CODE: '3' }));
      const stopped = await stateBecomes(launcher, workerRef, 'stopped');
      assert.deepEqual(stopped, { state: 'stopped', exitCode: 3, reason: 'exited with code 3' });
    });
  });
}

/** What the stand-in printed about its environment into the attempt's log. */
async function processEnvironment(opened: OpenedBackend, launch: LaunchRequest): Promise<Record<string, string>> {
  const log = join(opened.config.dataDir, 'logs', `${launch.jobId}-${launch.attempt}.log`);
  const line = await waitFor(
    'the stand-in worker to report',
    () => {
      try {
        return readFileSync(log, 'utf8')
          .split('\n')
          .find((l) => l.startsWith('{'));
      } catch {
        return undefined;
      }
    },
    { timeoutMs: 10_000, intervalMs: 20 },
  );
  return (JSON.parse(line) as { env: Record<string, string> }).env;
}

/** The environment the task's container overrides carry (what the worker container would see on top of its definition). */
async function taskEnvironment(opened: OpenedBackend, taskArn: string): Promise<Record<string, string>> {
  const { ECSClient, DescribeTasksCommand } = await import('@aws-sdk/client-ecs');
  const aws = opened.config.aws!;
  const ecs = new ECSClient({ region: aws.region, ...(aws.endpoint ? { endpoint: aws.endpoint } : {}) });
  try {
    const { tasks } = await ecs.send(new DescribeTasksCommand({ cluster: aws.ecs!.cluster, tasks: [taskArn] }));
    const overrides = tasks?.[0]?.overrides?.containerOverrides ?? [];
    const container = overrides.find((o) => o.name === aws.ecs!.container) ?? overrides[0];
    return Object.fromEntries((container?.environment ?? []).map((e) => [e.name ?? '', e.value ?? '']));
  } finally {
    ecs.destroy();
  }
}
