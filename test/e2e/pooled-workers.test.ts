import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { parsePoolWorkerRef } from '@agent-runner/shared/adapters/process/pool-launcher.ts';
import { getJob, postJob, waitUntilTerminal, type JobView } from '../support/api-client.ts';
import { backendNames, startSystem, type TestSystem } from '../support/system.ts';
import { waitFor } from '../support/wait-for.ts';

/**
 * What a warm pool must do that the shared lifecycle suite (job-lifecycle.test.ts, run on the pool
 * too) does not reach: a deadline, a cancellation and a killed worker while a pooled job runs, the
 * pool's recycling, and the per-job isolation choice. Pools run on the process launcher, so on
 * the embedded backend.
 */
const RECYCLE_AFTER = 4;

describe.skipIf(!backendNames().includes('embedded'))('warm pool workers end to end (embedded)', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startSystem('embedded', {
      AGENT_RUNNER_POOLED_TYPES: 'echo',
      AGENT_RUNNER_POOL_MIN: '1',
      AGENT_RUNNER_POOL_MAX: '2',
      AGENT_RUNNER_POOL_RECYCLE_AFTER_JOBS: String(RECYCLE_AFTER),
      // One one-shot launch per 1,000 s: pooled hand-offs must not wait for launch tokens.
      AGENT_RUNNER_LAUNCH_RATE: '0.001',
      AGENT_RUNNER_LAUNCH_BURST: '1',
    });
    system.startDispatcher();
  });
  afterAll(() => system.stop());

  const runningOn = (job: JobView) =>
    waitFor(
      `job ${job.job_id} to run`,
      async () => {
        const seen = await getJob(system.url, job.job_id);
        return seen.status === 'RUNNING' && seen.attempts.at(-1)?.worker_ref ? seen : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 25 },
    );
  const poolPid = (job: JobView) => {
    const ref = parsePoolWorkerRef(job.attempts.at(-1)?.worker_ref ?? '');
    assert.ok(ref, `a pool worker ref: ${job.attempts.at(-1)?.worker_ref}`);
    return ref.pid;
  };

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

  test('cancelling a running pooled job stops that job in its worker', async () => {
    const job = await runningOn(await postJob(system.url, { job_type: 'echo', payload: { message: 'long', sleep_ms: 60_000 } }));
    const ref = job.attempts.at(-1)!.worker_ref!;
    const res = await fetch(`${system.url}/jobs/${job.job_id}/cancel`, { method: 'POST' });
    assert.equal(res.status, 202);
    // The dispatcher's stopper (or the worker's own heartbeat) aborts the handler; the worker reports the attempt done.
    await waitFor(
      `the pool worker to give up ${ref}`,
      async () => ((await system.launcher.inspect(ref)).state === 'stopped' ? true : undefined),
      {
        timeoutMs: 15_000,
        intervalMs: 50,
      },
    );
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
    const pid = poolPid(job);
    process.kill(pid, 'SIGKILL');
    const [done] = await waitUntilTerminal(system.url, [job.job_id], 60_000);
    assert.equal(done?.status, 'SUCCEEDED', JSON.stringify(done?.error));
    assert.equal(done?.attempts.length, 2);
    const first = done!.attempts[0] as unknown as { error: { kind: string; message: string } | null };
    assert.equal(first.error?.kind, 'lost');
    assert.match(first.error?.message ?? '', /killed by SIGKILL/);
    assert.notEqual(poolPid({ ...done!, attempts: done!.attempts.slice(1) }), pid);
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
    assert.match(done?.attempts[0]?.worker_ref ?? '', /^pid:/);

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

describe.skipIf(!backendNames().includes('embedded'))('warm pool memory ceiling (embedded)', () => {
  let system: TestSystem;
  beforeAll(async () => {
    // Any Node process is above 32 MB resident: every pool worker retires after its first job.
    system = await startSystem('embedded', {
      AGENT_RUNNER_POOLED_TYPES: 'echo',
      AGENT_RUNNER_POOL_MIN: '1',
      AGENT_RUNNER_POOL_MAX: '1',
      AGENT_RUNNER_POOL_MAX_RSS_MB: '32',
    });
    system.startDispatcher();
  });
  afterAll(() => system.stop());

  test('a pool worker above AGENT_RUNNER_POOL_MAX_RSS_MB is replaced after its job', async () => {
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
