import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { getJob, postJob, waitUntilTerminal } from '../support/api-client.ts';
import { backendNames, startSystem, type TestSystem } from '../support/system.ts';
import { waitFor } from '../support/wait-for.ts';

// More jobs than the default global limit (16), submitted at once: some wait for a slot while
// others launch, which is where a job could be launched twice or lost. 24 shows that as well as
// 50 did, at half the emulator's time.
const JOBS = 24;
/** The pooled runs' pool: smaller than the jobs, so workers are reused and launches wait for one. */
const POOL_MAX = 4;

/**
 * Every case on one-shot workers on each backend, and on a warm pool's (embedded: the process
 * launcher's; aws: the pool queue and POOL_MAX pool tasks). The same jobs, the same assertions, but
 * how many processes ran them.
 */
const VARIANTS = backendNames().flatMap((name) => [
  { name, isolation: 'one_shot' as const, env: {}, poolTasks: 0 },
  {
    name,
    isolation: 'pooled' as const,
    env: { AGENT_RUNNER_POOLED_TYPES: 'echo', AGENT_RUNNER_POOL_MIN: '2', AGENT_RUNNER_POOL_MAX: String(POOL_MAX) },
    poolTasks: POOL_MAX,
  },
]);

for (const { name, isolation, env, poolTasks } of VARIANTS) {
  describe(`job lifecycle end to end (${name}, ${isolation})`, () => {
    let system: TestSystem;
    beforeAll(async () => {
      system = await startSystem(name, env, { poolTasks });
      system.startDispatcher();
    });
    afterAll(() => system.stop());

    test(`${JOBS} echo jobs submitted over HTTP all succeed with their own results, each launched exactly once`, async () => {
      const submitted = await Promise.all(
        Array.from({ length: JOBS }, (_, i) => postJob(system.url, { job_type: 'echo', payload: { message: `hello ${i}` } })),
      );
      for (const job of submitted) assert.equal(job.status, 'QUEUED');

      // A deadline, not a speed test: on a loaded 2-core machine the aws run once needed more than 120 s.
      const finished = await waitUntilTerminal(
        system.url,
        submitted.map((j) => j.job_id),
        300_000,
      );
      finished.forEach((job, i) => {
        assert.equal(job.status, 'SUCCEEDED', JSON.stringify(job.error));
        const result = job.result as { echoed_message: string; processed_by: string; processed_at: string };
        assert.equal(result.echoed_message, `hello ${i}`);
        assert.ok(result.processed_by.length > 0);
        assert.ok(Date.parse(result.processed_at) >= Date.parse(String(job.created_at)));
        assert.equal(job.attempts.length, 1);
        assert.equal(job.isolation, isolation);
        assert.ok(job.attempts[0]?.worker_ref, 'the launch is recorded on the attempt');
      });

      for (const job of submitted) assert.equal(system.launcher.launchesOf(job.job_id), 1, `launches of ${job.job_id}`);
      assert.equal(system.launcher.launches.length, JOBS);
      if (system.tasks && isolation === 'pooled') {
        // No RunTask per job: every job ran on one of the pool's tasks, which its start recorded.
        for (const job of submitted) {
          const taskArn = (await system.backend.jobs.get(job.job_id))?.attempts[0]?.taskArn;
          assert.ok(taskArn && system.pool!.started.includes(taskArn), `${job.job_id} ran on a pool task (${taskArn})`);
        }
      } else if (system.tasks) {
        assert.equal(await system.tasks.countRecordedTasks(), JOBS, 'RunTask calls recorded by the emulator');
        // A worker records SUCCEEDED, then closes its clients and exits: give the last ones a moment.
        const runs = [...system.tasks.runs.values()];
        await waitFor('every task process to exit', () => (runs.every((r) => r.exitCode !== null || r.signal !== null) ? true : undefined));
        assert.deepEqual(
          runs.map((r) => r.exitCode),
          Array(JOBS).fill(0),
        );
      }
      // A small result lives on the record only: no blob store write (one S3 call per job saved).
      const { getJson } = await import('@agent-runner/shared/ports/job-store.ts');
      for (const job of finished.slice(0, 5)) {
        assert.ok(job.result, 'the result is on the record');
        assert.equal(await getJson(system.backend.blobs, `results/${job.job_id}.json`), null, 'and not in the blob store');
      }
      const workers = new Set(finished.map((j) => (j.result as { processed_by: string }).processed_by));
      if (isolation === 'one_shot') assert.equal(workers.size, JOBS, 'one worker per job');
      else assert.ok(workers.size >= 1 && workers.size <= POOL_MAX, `${workers.size} pool workers ran ${JOBS} jobs`);
    });

    test('a job moves QUEUED → DISPATCHED → RUNNING → SUCCEEDED and GET shows each state', async () => {
      const job = await postJob(system.url, { job_type: 'echo', payload: { message: 'slow', sleep_ms: 1500 } });
      const seen = new Set<string>([job.status]);
      for (let i = 0; i < 300; i++) {
        const now = await getJob(system.url, job.job_id);
        seen.add(now.status);
        if (now.status === 'SUCCEEDED') break;
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.ok(seen.has('RUNNING'), `saw ${[...seen].join(', ')}`);
      assert.ok(seen.has('SUCCEEDED'), `saw ${[...seen].join(', ')}`);
    });

    test('a handler that fails fatally ends FAILED with a readable error and is not retried', async () => {
      const job = await postJob(system.url, { job_type: 'echo', payload: { message: 'x', fail: 'fatal' } });
      const [done] = await waitUntilTerminal(system.url, [job.job_id], 60_000);
      assert.equal(done?.status, 'FAILED');
      assert.equal(done?.error?.kind, 'fatal');
      assert.equal(done?.error?.handler, 'echo');
      assert.match(done?.error?.message ?? '', /asked to fail/);
      assert.equal(done?.attempts.length, 1);
    });

    test('a retryable failure is retried up to max_attempts, then the job fails with the last error', async () => {
      const job = await postJob(system.url, { job_type: 'echo', payload: { message: 'x', fail: 'retryable' }, max_attempts: 2 });
      const [done] = await waitUntilTerminal(system.url, [job.job_id], 60_000);
      assert.equal(done?.status, 'FAILED');
      assert.equal(done?.error?.kind, 'retryable');
      assert.equal(done?.attempts.length, 2);
      assert.equal(system.launcher.launchesOf(job.job_id), 2);
    });
  });
}
