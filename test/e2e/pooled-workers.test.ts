import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { parsePoolWorkerRef } from '@agent-runner/shared/adapters/process/pool-launcher.ts';
import { parseQueuePoolWorkerRef } from '@agent-runner/shared/adapters/queue-pool-launcher.ts';
import { getJob, postJob, waitUntilTerminal, type JobView } from '../support/api-client.ts';
import type { EcsPoolService } from '../support/ecs-pool-service.ts';
import { backendNames, startSystem, type BackendName, type TestSystem } from '../support/system.ts';
import { waitFor } from '../support/wait-for.ts';

/**
 * What a warm pool must do that the shared lifecycle suite (job-lifecycle.test.ts, run on the pool
 * too) does not reach: a deadline, a cancellation and a killed worker while a pooled job runs, the
 * pool's recycling, and the per-job isolation choice. On both backends: embedded, the process
 * launcher's pool (workers over IPC); aws, the ecs launcher's (hand-offs on the pool queue, taken by
 * the pool service's tasks — moto runs no service, so EcsPoolService keeps its tasks running and the
 * EcsTaskRunner runs each from the pool worker task definition `provision` registered).
 */
const RECYCLE_AFTER = 4;

interface PooledSystem {
  system: TestSystem;
  pool: EcsPoolService | null;
  stop(): Promise<void>;
}

/**
 * Pool settings go where each backend's pool workers read them: the dispatcher's environment
 * (embedded: it forks them) or the pool worker's task definition (aws). `size`: workers kept warm
 * (embedded: POOL_MIN, with POOL_MAX one more; aws: the pool service's tasks).
 */
async function startPooled(
  name: BackendName,
  size: number,
  settings: Record<string, string>,
  dispatcher: Record<string, string> = {},
): Promise<PooledSystem> {
  const shared = { AGENT_RUNNER_POOLED_TYPES: 'echo', ...dispatcher };
  if (name === 'embedded') {
    const system = await startSystem(name, {
      AGENT_RUNNER_POOL_MIN: String(size),
      AGENT_RUNNER_POOL_MAX: String(size + 1),
      ...shared,
      ...settings,
    });
    system.startDispatcher();
    return { system, pool: null, stop: () => system.stop() };
  }
  const system = await startSystem(name, shared, {
    // Pool workers read their settings from their task definition; the heartbeat comes with each hand-off.
    workerEnv: { AGENT_RUNNER_QUEUE_WAIT_SECONDS: '2', ...settings },
  });
  const { EcsPoolService } = await import('../support/ecs-pool-service.ts');
  const pool = new EcsPoolService(system.env, size);
  pool.start();
  system.startDispatcher();
  return {
    system,
    pool,
    stop: async () => {
      await pool.stop();
      await system.stop();
    },
  };
}

/** The pool worker that ran (or runs) an attempt: its pid (embedded) or its task ARN (aws, as its start recorded it). */
async function poolWorkerOf(system: TestSystem, job: JobView, attempt = job.attempts.length): Promise<string> {
  const ref = job.attempts[attempt - 1]?.worker_ref ?? '';
  if (system.name === 'embedded') {
    const parsed = parsePoolWorkerRef(ref);
    assert.ok(parsed, `a pool worker ref: ${ref}`);
    return String(parsed.pid);
  }
  assert.ok(parseQueuePoolWorkerRef(ref), `a pool queue ref: ${ref}`);
  const record = await system.backend.jobs.get(job.job_id);
  const taskArn = record?.attempts[attempt - 1]?.taskArn;
  assert.ok(taskArn, `attempt ${attempt} recorded the task that started it`);
  return taskArn;
}

for (const name of backendNames()) {
  describe(`warm pool workers end to end (${name})`, () => {
    let pooled: PooledSystem;
    let system: TestSystem;
    beforeAll(async () => {
      pooled = await startPooled(
        name,
        // aws: two tasks, as the embedded pool's one warm worker and one more on demand.
        name === 'aws' ? 2 : 1,
        { AGENT_RUNNER_POOL_RECYCLE_AFTER_JOBS: String(RECYCLE_AFTER) },
        // One one-shot launch per 1,000 s: pooled hand-offs must not wait for launch tokens.
        { AGENT_RUNNER_LAUNCH_RATE: '0.001', AGENT_RUNNER_LAUNCH_BURST: '1' },
      );
      system = pooled.system;
    });
    afterAll(() => pooled?.stop());

    const runningOn = (job: JobView) =>
      waitFor(
        `job ${job.job_id} to run`,
        async () => {
          const seen = await getJob(system.url, job.job_id);
          return seen.status === 'RUNNING' && seen.attempts.at(-1)?.worker_ref ? seen : undefined;
        },
        { timeoutMs: 15_000, intervalMs: 25 },
      );

    test('a pooled job past its deadline ends TIMED_OUT, and the pool goes on serving', async () => {
      const job = await postJob(system.url, {
        job_type: 'echo',
        payload: { message: 'slow', sleep_ms: 60_000 },
        timeout_seconds: 1,
        max_attempts: 1,
      });
      const [done] = await waitUntilTerminal(system.url, [job.job_id], 30_000);
      assert.equal(done?.status, 'TIMED_OUT');
      assert.equal(done?.error?.kind, 'timeout');
      const [next] = await waitUntilTerminal(
        system.url,
        [(await postJob(system.url, { job_type: 'echo', payload: { message: 'next' } })).job_id],
        30_000,
      );
      assert.equal(next?.status, 'SUCCEEDED');
    });

    test('cancelling a running pooled job stops that job in its worker, which then retires', async () => {
      const job = await runningOn(await postJob(system.url, { job_type: 'echo', payload: { message: 'long', sleep_ms: 60_000 } }));
      const ref = job.attempts.at(-1)!.worker_ref!;
      const worker = await poolWorkerOf(system, job);
      const res = await fetch(`${system.url}/jobs/${job.job_id}/cancel`, { method: 'POST' });
      assert.equal(res.status, 202);
      // The dispatcher's stopper (embedded) or the worker's own heartbeat (both) aborts the handler.
      await waitFor(
        `the pool worker to give up ${ref}`,
        async () => ((await system.launcher.inspect(ref)).state === 'stopped' ? true : undefined),
        { timeoutMs: 15_000, intervalMs: 50 },
      );
      if (system.name === 'aws') {
        // The job stopped, not the task from outside: the worker saw the cancellation, then retired (exit 0).
        const run = await waitFor(
          `pool task ${worker} to retire`,
          () => {
            const r = system.tasks!.runs.get(worker);
            return r && (r.exitCode !== null || r.signal !== null) ? r : undefined;
          },
          { timeoutMs: 15_000, intervalMs: 50 },
        );
        assert.deepEqual([run.exitCode, run.signal], [0, null]);
      }
      assert.equal((await getJob(system.url, job.job_id)).status, 'CANCELLED');
      const [next] = await waitUntilTerminal(
        system.url,
        [(await postJob(system.url, { job_type: 'echo', payload: { message: 'after' } })).job_id],
        30_000,
      );
      assert.equal(next?.status, 'SUCCEEDED');
    });

    test('a pool worker killed mid-job is found lost by the reaper and its job retried on another', async () => {
      const job = await runningOn(
        await postJob(system.url, { job_type: 'echo', payload: { message: 'doomed', sleep_ms: 3_000 }, max_attempts: 2 }),
      );
      const worker = await poolWorkerOf(system, job);
      if (system.name === 'embedded') process.kill(Number(worker), 'SIGKILL');
      else assert.ok(system.tasks!.kill(worker, 'SIGKILL'), `pool task ${worker} runs here`);
      const [done] = await waitUntilTerminal(system.url, [job.job_id], 60_000);
      assert.equal(done?.status, 'SUCCEEDED', JSON.stringify(done?.error));
      assert.equal(done?.attempts.length, 2);
      const first = done!.attempts[0] as unknown as { error: { kind: string; message: string } | null };
      assert.equal(first.error?.kind, 'lost');
      // embedded: "pool worker killed by SIGKILL"; aws: the stopped task's reason, found by DescribeTasks.
      assert.match(first.error?.message ?? '', /SIGKILL/);
      assert.notEqual(await poolWorkerOf(system, done!, 2), worker);
    });

    test(`a pool worker is replaced after ${RECYCLE_AFTER} jobs`, async () => {
      const jobs = 3 * RECYCLE_AFTER;
      const ids: string[] = [];
      for (let i = 0; i < jobs; i++) ids.push((await postJob(system.url, { job_type: 'echo', payload: { message: `r${i}` } })).job_id);
      const finished = await waitUntilTerminal(system.url, ids, 60_000);
      const byWorker = new Map<string, number>();
      for (const job of finished) {
        assert.equal(job.status, 'SUCCEEDED');
        const by = (job.result as { processed_by: string }).processed_by;
        byWorker.set(by, (byWorker.get(by) ?? 0) + 1);
      }
      for (const [by, count] of byWorker) assert.ok(count <= RECYCLE_AFTER, `${by} ran ${count} jobs`);
      assert.ok(byWorker.size >= 3, `${byWorker.size} workers ran ${jobs} jobs`);
    });

    test('pooled hand-offs are not paced: many run where pacing allows one one-shot launch', async () => {
      const ids = await Promise.all(
        Array.from({ length: 6 }, async (_, i) => (await postJob(system.url, { job_type: 'echo', payload: { message: `p${i}` } })).job_id),
      );
      const done = await waitUntilTerminal(system.url, ids, 30_000);
      assert.deepEqual(
        done.map((j) => j.status),
        Array(6).fill('SUCCEEDED'),
      );
    });

    // The one one-shot launch the pacing above allows.
    test('a job may ask for one-shot isolation; a type that does not allow pooling is refused it', async () => {
      const job = await postJob(system.url, { job_type: 'echo', payload: { message: 'alone' }, isolation: 'one_shot' });
      assert.equal(job.isolation, 'one_shot');
      const [done] = await waitUntilTerminal(system.url, [job.job_id], 30_000);
      assert.equal(done?.status, 'SUCCEEDED');
      assert.match(done?.attempts[0]?.worker_ref ?? '', system.name === 'embedded' ? /^pid:/ : /^arn:aws:ecs:/);

      const refused = await fetch(`${system.url}/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ job_type: 'tool_agent', payload: { prompt: 'hi', tools: ['calculator'] }, isolation: 'pooled' }),
      });
      assert.equal(refused.status, 400);
      const problem = (await refused.json()) as { errors: { path: string; message: string }[] };
      assert.deepEqual(
        problem.errors.map((e) => e.path),
        ['isolation'],
      );
    });
  });

  describe(`warm pool memory ceiling (${name})`, () => {
    let pooled: PooledSystem;
    beforeAll(async () => {
      // Any Node process is above 32 MB resident: every pool worker retires after its first job.
      pooled = await startPooled(
        name,
        1,
        { AGENT_RUNNER_POOL_MAX_RSS_MB: '32' },
        name === 'embedded' ? { AGENT_RUNNER_POOL_MAX: '1' } : {},
      );
    });
    afterAll(() => pooled?.stop());

    test('a pool worker above AGENT_RUNNER_POOL_MAX_RSS_MB is replaced after its job', async () => {
      const { system } = pooled;
      const workers: string[] = [];
      for (let i = 0; i < 3; i++) {
        const [done] = await waitUntilTerminal(
          system.url,
          [(await postJob(system.url, { job_type: 'echo', payload: { message: `m${i}` } })).job_id],
          30_000,
        );
        assert.equal(done?.status, 'SUCCEEDED');
        workers.push((done!.result as { processed_by: string }).processed_by);
      }
      assert.equal(new Set(workers).size, 3, workers.join(', '));
    });
  });
}
