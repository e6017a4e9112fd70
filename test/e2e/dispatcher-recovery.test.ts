/**
 * Recovery in seconds: a dispatcher killed with SIGKILL (a real child process, `agent-runner
 * dispatcher`'s entry) while it holds queued jobs' messages leaves them hidden only until their
 * visibility timeout ends, so a new dispatcher — or a peer that was running all along — launches
 * again within 15 s of the death, on both backends.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, test, type TestContext } from 'vitest';
import { postJob, waitUntilTerminal, type JobView } from '../support/api-client.ts';
import { backendNames, startSystem, type TestSystem } from '../support/system.ts';
import { waitFor } from '../support/wait-for.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const DISPATCHER = 'services/dispatcher/src/main.ts';
const JOBS = 5;
/** The bound: from a dispatcher's death to the next launch. */
const RECOVERY_BOUND_MS = 15_000;

interface Doomed {
  child: ChildProcess;
  output: () => string;
}

/**
 * A dispatcher in its own process, paced to launch one job and then hold the rest waiting for a
 * launch token (one per 1,000 s): messages held, as a busy dispatcher holds them when it dies.
 */
function startDoomedDispatcher(sys: TestSystem): Doomed {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', DISPATCHER], {
    cwd: REPO,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      ...sys.env,
      AGENT_RUNNER_DISPATCHER_PORT: '0',
      AGENT_RUNNER_LAUNCH_RATE: '0.001',
      AGENT_RUNNER_LAUNCH_BURST: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  return { child, output: () => output };
}

/** Submits the jobs and waits until the doomed dispatcher has launched one and holds the others. */
async function submitAndWaitUntilHeld(sys: TestSystem, doomed: Doomed): Promise<JobView[]> {
  const jobs = await Promise.all(
    Array.from({ length: JOBS }, (_, i) => postJob(sys.url, { job_type: 'echo', payload: { message: `held ${i}` } })),
  );
  await waitFor(
    'the doomed dispatcher to launch one job and hold the rest',
    async () => {
      if (doomed.child.exitCode !== null) throw new Error(`the doomed dispatcher exited: ${doomed.output()}`);
      const records = await Promise.all(jobs.map((j) => sys.backend.jobs.get(j.job_id)));
      const launched = records.filter((r) => r?.attempts[0]?.workerRef).length;
      const depth = await sys.backend.queue.depth();
      const inFlight = Object.values(depth).reduce((n, d) => n + d.inFlight, 0);
      return launched === 1 && inFlight === JOBS - 1 ? true : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 100 },
  );
  return jobs;
}

async function killAndTimeNextLaunch(t: TestContext, sys: TestSystem, doomed: Doomed): Promise<number> {
  const exited = new Promise((resolve) => doomed.child.once('exit', resolve));
  doomed.child.kill('SIGKILL');
  await exited;
  const diedAt = Date.now();
  const before = sys.launcher.launches.length;
  await waitFor('a launch after the death', () => (sys.launcher.launches.length > before ? true : undefined), {
    timeoutMs: RECOVERY_BOUND_MS + 60_000,
    intervalMs: 50,
  });
  const tookMs = Date.now() - diedAt;
  await t.annotate(`${sys.name}: first launch ${(tookMs / 1000).toFixed(1)} s after the dispatcher was killed`);
  return tookMs;
}

async function assertEachRanOnce(sys: TestSystem, jobs: JobView[]): Promise<void> {
  const done = await waitUntilTerminal(
    sys.url,
    jobs.map((j) => j.job_id),
    60_000,
  );
  for (const job of done) {
    assert.equal(job.status, 'SUCCEEDED');
    assert.equal(job.attempts.length, 1, `${job.job_id} ran in one attempt`);
  }
  // The killed dispatcher launched one (not counted here); the survivor launched the others once each.
  assert.equal(sys.launcher.launches.length, JOBS - 1);
  assert.equal(new Set(sys.launcher.launches.map((l) => l.jobId)).size, JOBS - 1);
}

for (const name of backendNames()) {
  describe(`dispatcher recovery (${name})`, () => {
    let system: TestSystem | undefined;
    let doomed: Doomed | undefined;
    afterEach(async () => {
      doomed?.child.kill('SIGKILL');
      doomed = undefined;
      await system?.stop();
      system = undefined;
    });

    test('a dispatcher killed while holding queued jobs: a restarted one launches within 15 s', async (t) => {
      system = await startSystem(name);
      const sys = system;
      doomed = startDoomedDispatcher(sys);
      const jobs = await submitAndWaitUntilHeld(sys, doomed);
      const killed = killAndTimeNextLaunch(t, sys, doomed);
      sys.startDispatcher(); // the restart, on the same data dir / queues
      assert.ok((await killed) <= RECOVERY_BOUND_MS, `launched again within ${RECOVERY_BOUND_MS} ms`);
      await assertEachRanOnce(sys, jobs);
    });

    test('two dispatchers, one killed while holding queued jobs: the survivor launches within 15 s', async (t) => {
      system = await startSystem(name);
      const sys = system;
      doomed = startDoomedDispatcher(sys);
      const jobs = await submitAndWaitUntilHeld(sys, doomed);
      sys.startDispatcher(); // the peer: running, and idle because the other holds every message
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      assert.equal(sys.launcher.launches.length, 0, 'the peer found nothing to launch while the other held it all');
      assert.ok((await killAndTimeNextLaunch(t, sys, doomed)) <= RECOVERY_BOUND_MS, `launched again within ${RECOVERY_BOUND_MS} ms`);
      await assertEachRanOnce(sys, jobs);
    });

    test('a dispatcher holds only what free capacity can use soon, not the whole backlog', async (t) => {
      const maxRunning = 2;
      system = await startSystem(name, { AGENT_RUNNER_MAX_RUNNING: String(maxRunning) });
      const sys = system;
      await Promise.all(
        Array.from({ length: 24 }, (_, i) => postJob(sys.url, { job_type: 'echo', payload: { message: `backlog ${i}`, sleep_ms: 1_500 } })),
      );
      sys.startDispatcher();
      let mostHeld = 0;
      for (const until = Date.now() + 6_000; Date.now() < until; ) {
        const depth = await sys.backend.queue.depth();
        mostHeld = Math.max(
          mostHeld,
          Object.values(depth).reduce((n, d) => n + d.inFlight, 0),
        );
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      t.annotate(`${name}: at most ${mostHeld} of 24 messages held with AGENT_RUNNER_MAX_RUNNING=${maxRunning}`);
      assert.ok(sys.launcher.launches.length >= maxRunning, 'the backlog is being worked on');
      // What could launch, as many again behind a full scope, one receive batch of look-ahead.
      assert.ok(mostHeld <= 2 * maxRunning + 10, `held ${mostHeld}`);
    });
  });
}
