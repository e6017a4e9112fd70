import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { postJob, waitUntilTerminal, type JobView } from '../support/api-client.ts';
import { backendNames, startSystem, type TestSystem } from '../support/system.ts';
import { waitForSlotsReleased } from '../support/wait-for.ts';

interface AttemptView {
  number: number;
  started_at: string | null;
  ended_at: string | null;
}

const startedAt = (job: JobView): number => Date.parse((job.attempts[0] as unknown as AttemptView).started_at ?? 'x');
const endedAt = (job: JobView): number => Date.parse((job.attempts.at(-1) as unknown as AttemptView).ended_at ?? 'x');

for (const name of backendNames()) {
  describe(`scheduling: priority (${name})`, () => {
    let system: TestSystem;
    before(async () => {
      system = await startSystem(name, { AGENT_RUNNER_MAX_RUNNING: '1' });
    });
    after(() => system.stop());

    test('with capacity 1, every high job starts before any low job queued after it, and every low job still finishes', async () => {
      const submit = (priority: string, i: number) =>
        postJob(system.url, { job_type: 'echo', priority, payload: { message: `${priority} ${i}`, sleep_ms: 20 } });
      const lowBefore: JobView[] = [];
      for (let i = 0; i < 15; i++) lowBefore.push(await submit('low', i));
      const high: JobView[] = [];
      for (let i = 0; i < 10; i++) high.push(await submit('high', i));
      const lowAfter: JobView[] = [];
      for (let i = 15; i < 30; i++) lowAfter.push(await submit('low', i));

      system.startDispatcher();
      const all = [...lowBefore, ...high, ...lowAfter];
      const done = await waitUntilTerminal(system.url, all.map((j) => j.job_id), 180_000);
      for (const job of done) assert.equal(job.status, 'SUCCEEDED');
      const byId = new Map(done.map((j) => [j.job_id, j]));
      const lastHighStart = Math.max(...high.map((j) => startedAt(byId.get(j.job_id)!)));
      const firstLateLowStart = Math.min(...lowAfter.map((j) => startedAt(byId.get(j.job_id)!)));
      assert.ok(lastHighStart < firstLateLowStart, 'every high job starts before any low job queued after it');
      const earlyLowsBeforeHighs = lowBefore.filter((j) => startedAt(byId.get(j.job_id)!) < lastHighStart).length;
      assert.ok(earlyLowsBeforeHighs <= 1, `at most the one low job already running overtakes the high ones (saw ${earlyLowsBeforeHighs})`);
    });
  });

  describe(`scheduling: long waits (${name})`, () => {
    let system: TestSystem;
    before(async () => {
      system = await startSystem(name, { AGENT_RUNNER_MAX_RUNNING: '1', AGENT_RUNNER_MAX_HOLD_SECONDS: '1' });
      system.startDispatcher();
    });
    after(() => system.stop());

    test('a job waiting for capacity through many hold periods is not mistaken for a poison message', async () => {
      // The slot is taken for 8 s; the second job is held and recycled about 8 times meanwhile,
      // well past the 5 receives after which a queue moves a message to its dead-letter queue.
      const blocker = await postJob(system.url, { job_type: 'sleep', payload: { ms: 8000 } });
      const waiter = await postJob(system.url, { job_type: 'echo', payload: { message: 'patient' } });
      const done = await waitUntilTerminal(system.url, [blocker.job_id, waiter.job_id], 60_000);
      assert.deepEqual(done.map((j) => j.status), ['SUCCEEDED', 'SUCCEEDED']);
      assert.ok(startedAt(done[1]!) >= endedAt(done[0]!), 'the waiter ran after the blocker');
      assert.equal(system.launcher.launchesOf(waiter.job_id), 1);
    });
  });

  describe(`scheduling: ordered groups (${name})`, () => {
    let system: TestSystem;
    before(async () => {
      system = await startSystem(name, { AGENT_RUNNER_MAX_RUNNING: '8' });
      system.startDispatcher();
    });
    after(() => system.stop());

    test('jobs of one ordering key start in submission order, one at a time; keys run in parallel', async () => {
      const keys = ['alpha', 'beta', 'gamma'];
      const submitted = new Map<string, JobView[]>(keys.map((k) => [k, []]));
      for (let i = 0; i < 10; i++) {
        for (const key of keys) {
          const job = await postJob(system.url, {
            job_type: 'echo',
            ordering_key: key,
            payload: { message: `${key} ${i}`, sleep_ms: 50 + Math.floor(Math.random() * 250) },
          });
          submitted.get(key)!.push(job);
        }
      }
      const ids = [...submitted.values()].flat().map((j) => j.job_id);
      const done = new Map((await waitUntilTerminal(system.url, ids, 180_000)).map((j) => [j.job_id, j]));
      for (const key of keys) {
        const runs = submitted.get(key)!.map((j) => done.get(j.job_id)!);
        for (const job of runs) assert.equal(job.status, 'SUCCEEDED', JSON.stringify({ error: job.error, attempts: job.attempts }));
        for (let i = 1; i < runs.length; i++) {
          assert.ok(startedAt(runs[i]!) >= endedAt(runs[i - 1]!), `${key}: job ${i} started before job ${i - 1} ended`);
        }
      }
      // Parallel across keys: some two jobs of different keys overlapped.
      const intervals = [...done.values()].map((j) => [startedAt(j), endedAt(j), j.ordering_key] as const);
      const overlapAcrossKeys = intervals.some(([s1, e1, k1]) => intervals.some(([s2, , k2]) => k1 !== k2 && s2 > s1 && s2 < e1));
      assert.ok(overlapAcrossKeys, 'different keys ran in parallel');
    });
  });

  describe(`scheduling: concurrency limits across dispatchers (${name})`, () => {
    let system: TestSystem;
    before(async () => {
      system = await startSystem(name, { AGENT_RUNNER_MAX_RUNNING: '4', AGENT_RUNNER_MAX_RUNNING_BY_TYPE: 'sleep=2' });
    });
    after(() => system.stop());

    test('two dispatchers never run more than 4 jobs, nor more than 2 of the limited type, and all 40 finish', async () => {
      const jobs: JobView[] = [];
      for (let i = 0; i < 40; i++) {
        jobs.push(
          await postJob(
            system.url,
            i % 2 === 0 ? { job_type: 'sleep', payload: { ms: 300 } } : { job_type: 'echo', payload: { message: `e${i}`, sleep_ms: 300 } },
          ),
        );
      }
      system.startDispatcher();
      system.startDispatcher();

      let maxTotal = 0;
      let maxSleep = 0;
      let samples = 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const active = [
            ...(await system.backend.jobs.list({ status: 'RUNNING', limit: 100 })).jobs,
            ...(await system.backend.jobs.list({ status: 'DISPATCHED', limit: 100 })).jobs,
          ];
          maxTotal = Math.max(maxTotal, active.length);
          maxSleep = Math.max(maxSleep, active.filter((j) => j.jobType === 'sleep').length);
          samples++;
          await new Promise((r) => setTimeout(r, 25));
        }
      })();
      const done = await waitUntilTerminal(system.url, jobs.map((j) => j.job_id), 240_000);
      sampling = false;
      await sampler;
      for (const job of done) assert.equal(job.status, 'SUCCEEDED');
      assert.ok(samples > 20, `the sampler ran (${samples} samples)`);
      assert.ok(maxTotal <= 4, `at most 4 running at once (saw ${maxTotal})`);
      assert.ok(maxSleep <= 2, `at most 2 sleep jobs at once (saw ${maxSleep})`);
      assert.ok(maxTotal >= 3, `the limit was actually reached, not starved (max ${maxTotal})`);
      await waitForSlotsReleased(system.backend.leases);
    });
  });

  describe(`scheduling: failures, timeouts and cancellation (${name})`, () => {
    let system: TestSystem;
    before(async () => {
      system = await startSystem(name);
      system.startDispatcher();
    });
    after(() => system.stop());

    test('a worker killed with SIGKILL mid-job is found lost, retried, and the job succeeds', async () => {
      const job = await postJob(system.url, { job_type: 'echo', payload: { message: 'survive', sleep_ms: 3000 } });
      const running = await waitForStatus(system, job.job_id, 'RUNNING');
      const workerRef = running.attempts[0]!.worker_ref!;
      killWorker(system, workerRef);
      const [done] = await waitUntilTerminal(system.url, [job.job_id], 60_000);
      assert.equal(done?.status, 'SUCCEEDED');
      assert.equal(done?.attempts.length, 2);
      assert.equal((done!.attempts[0] as unknown as { error: { kind: string } }).error.kind, 'lost');
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
