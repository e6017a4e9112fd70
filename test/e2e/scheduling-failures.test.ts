/**
 * Scheduling rules on both backends, part 3: a lost worker retried, a deadline, cancellation.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { postJob, waitUntilTerminal, type JobView } from '../support/api-client.ts';
import { startedAt } from '../support/attempt-times.ts';
import { backendNames, startSystem, type TestSystem } from '../support/system.ts';

for (const name of backendNames()) {
  describe(`scheduling: failures, timeouts and cancellation (${name})`, () => {
    let system: TestSystem;
    beforeAll(async () => {
      system = await startSystem(name);
      system.startDispatcher();
    });
    afterAll(() => system.stop());

    test('a worker killed with SIGKILL mid-job is found lost, retried, and the job succeeds', async () => {
      const job = await postJob(system.url, { job_type: 'echo', payload: { message: 'survive', sleep_ms: 3000 } });
      const running = await waitForStatus(system, job.job_id, 'RUNNING');
      const workerRef = running.attempts[0]!.worker_ref!;
      killWorker(system, workerRef);
      const [done] = await waitUntilTerminal(system.url, [job.job_id], 60_000);
      assert.equal(done?.status, 'SUCCEEDED');
      assert.equal(done?.attempts.length, 2);
      assert.equal((done?.attempts[0] as unknown as { error: { kind: string } } | undefined)?.error.kind, 'lost');
      assert.equal(system.launcher.launchesOf(job.job_id), 2);
    });

    test('a job with timeout_seconds 2 that sleeps 10 s ends TIMED_OUT within a few seconds', async () => {
      const job = await postJob(system.url, { job_type: 'echo', timeout_seconds: 2, payload: { message: 'slow', sleep_ms: 10_000 } });
      const [done] = await waitUntilTerminal(system.url, [job.job_id], 30_000);
      assert.equal(done?.status, 'TIMED_OUT');
      const running = (Date.parse(String(done?.finished_at)) - startedAt(done!)) / 1000;
      assert.ok(running >= 2 && running < 6, `ended ${running}s after it started`);
      assert.equal(done?.attempts.length, 1, 'a timeout is not retried');
    });

    test('a cancelled queued job never starts; a cancelled running one is stopped; a terminal one answers 409', async () => {
      await system.stopDispatchers();
      const queued = await postJob(system.url, { job_type: 'echo', payload: { message: 'never' } });
      const cancelQueued = await fetch(`${system.url}/jobs/${queued.job_id}/cancel`, { method: 'POST' });
      assert.equal(cancelQueued.status, 202);
      system.startDispatcher();

      const long = await postJob(system.url, { job_type: 'echo', payload: { message: 'long', sleep_ms: 30_000 } });
      await waitForStatus(system, long.job_id, 'RUNNING');
      const cancelRunning = await fetch(`${system.url}/jobs/${long.job_id}/cancel`, { method: 'POST' });
      assert.equal(cancelRunning.status, 202);
      const [stopped] = await waitUntilTerminal(system.url, [long.job_id], 10_000);
      assert.equal(stopped?.status, 'CANCELLED');
      // The worker is gone, not left running out its 30 s.
      const workerRef = stopped!.attempts[0]!.worker_ref!;
      await waitForWorkerGone(system, workerRef, 10_000);

      const again = await fetch(`${system.url}/jobs/${long.job_id}/cancel`, { method: 'POST' });
      assert.equal(again.status, 409);
      assert.match(again.headers.get('content-type') ?? '', /application\/problem\+json/);

      await new Promise((r) => setTimeout(r, 1500));
      const [never] = await waitUntilTerminal(system.url, [queued.job_id], 1000);
      assert.equal(never?.status, 'CANCELLED');
      assert.equal(never?.attempts.length, 0);
      assert.equal(system.launcher.launchesOf(queued.job_id), 0);
    });
  });
}

async function waitForStatus(system: TestSystem, jobId: string, status: string): Promise<JobView> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const res = await fetch(`${system.url}/jobs/${jobId}`);
    const job = (await res.json()) as JobView;
    if (job.status === status) return job;
    if (Date.now() > deadline) throw new Error(`job ${jobId} never reached ${status}; it is ${job.status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function killWorker(system: TestSystem, workerRef: string): void {
  if (system.tasks) {
    assert.ok(system.tasks.kill(workerRef, 'SIGKILL'), `no process for task ${workerRef}`);
    return;
  }
  const pid = Number(/^pid:(\d+)/.exec(workerRef)?.[1]);
  assert.ok(pid > 0, `unexpected worker ref ${workerRef}`);
  process.kill(pid, 'SIGKILL');
}

async function waitForWorkerGone(system: TestSystem, workerRef: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await system.launcher.inspect(workerRef);
    if (state.state === 'stopped') return;
    if (system.tasks) {
      const run = system.tasks.runs.get(workerRef);
      if (run && (run.exitCode !== null || run.signal !== null)) return;
    }
    if (Date.now() > deadline) throw new Error(`worker ${workerRef} still ${state.state}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
