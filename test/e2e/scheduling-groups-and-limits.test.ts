/**
 * Scheduling rules on both backends, part 2: ordered groups, and concurrency limits held across
 * two dispatchers.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { postJob, waitUntilTerminal, type JobView } from '../support/api-client.ts';
import { endedAt, startedAt } from '../support/attempt-times.ts';
import { backendNames, startSystem, type TestSystem } from '../support/system.ts';
import { waitForSlotsReleased } from '../support/wait-for.ts';

for (const name of backendNames()) {
  describe(`scheduling: ordered groups (${name})`, () => {
    let system: TestSystem;
    beforeAll(async () => {
      system = await startSystem(name, { AGENT_RUNNER_MAX_RUNNING: '8' });
      system.startDispatcher();
    });
    afterAll(() => system.stop());

    test('jobs of one ordering key start in submission order, one at a time; keys run in parallel', async () => {
      const keys = ['alpha', 'beta', 'gamma'];
      const submitted = new Map<string, JobView[]>(keys.map((k) => [k, []]));
      // Five per key: four start-after-end checks per key, and three keys overlapping.
      for (let i = 0; i < 5; i++) {
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
          // The attempts say whether this is a broken group or a retry (a retried job re-enters its
          // group behind jobs already queued, so the next may start between its attempts).
          const attempts = (j: JobView) => JSON.stringify(j.attempts);
          assert.ok(
            startedAt(runs[i]!) >= endedAt(runs[i - 1]!),
            `${key}: job ${i} started before job ${i - 1} ended: ${attempts(runs[i - 1]!)} then ${attempts(runs[i]!)}`,
          );
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
    beforeAll(async () => {
      system = await startSystem(name, { AGENT_RUNNER_MAX_RUNNING: '4', AGENT_RUNNER_MAX_RUNNING_BY_TYPE: 'sleep=2' });
    });
    afterAll(() => system.stop());

    test('two dispatchers never run more than 4 jobs, nor more than 2 of the limited type, and all 16 finish', async () => {
      // 16 jobs of 300 ms are four times the global limit and four times the sleep limit: both
      // limits are reached again and again by both dispatchers, as with the 40 this used to take.
      const jobs: JobView[] = [];
      for (let i = 0; i < 16; i++) {
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
      const done = await waitUntilTerminal(
        system.url,
        jobs.map((j) => j.job_id),
        240_000,
      );
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
}
