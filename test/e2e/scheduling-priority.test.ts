/**
 * Scheduling rules on both backends, part 1 (README "Scheduling rules"): priority and aging,
 * and a job waiting through many hold periods. One file per part so that vitest runs them side by side.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { postJob, waitUntilTerminal, type JobView } from '../support/api-client.ts';
import { endedAt, startedAt } from '../support/attempt-times.ts';
import { backendNames, startSystem, type TestSystem } from '../support/system.ts';

for (const name of backendNames()) {
  describe(`scheduling: priority (${name})`, () => {
    let system: TestSystem;
    beforeAll(async () => {
      system = await startSystem(name, { AGENT_RUNNER_MAX_RUNNING: '1' });
    });
    afterAll(() => system.stop());

    test('with capacity 1, every high job starts before any low job queued after it, and every low job still finishes', async () => {
      const submit = (priority: string, i: number) =>
        postJob(system.url, { job_type: 'echo', priority, payload: { message: `${priority} ${i}`, sleep_ms: 20 } });
      // Capacity 1 runs the jobs one by one, so each costs a whole launch. Five of each kind still
      // tell priority from FIFO: FIFO would start all five older lows before the highs (one may).
      const lowBefore: JobView[] = [];
      for (let i = 0; i < 5; i++) lowBefore.push(await submit('low', i));
      const high: JobView[] = [];
      for (let i = 0; i < 5; i++) high.push(await submit('high', i));
      const lowAfter: JobView[] = [];
      for (let i = 5; i < 10; i++) lowAfter.push(await submit('low', i));

      system.startDispatcher();
      const all = [...lowBefore, ...high, ...lowAfter];
      const done = await waitUntilTerminal(
        system.url,
        all.map((j) => j.job_id),
        180_000,
      );
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
    beforeAll(async () => {
      system = await startSystem(name, { AGENT_RUNNER_MAX_RUNNING: '1', AGENT_RUNNER_MAX_HOLD_SECONDS: '1' });
      system.startDispatcher();
    });
    afterAll(() => system.stop());

    test('a job waiting for capacity through many hold periods is not mistaken for a poison message', async () => {
      // The slot is taken for 8 s; the second job is held and recycled about 8 times meanwhile,
      // well past the 5 receives after which a queue moves a message to its dead-letter queue.
      const blocker = await postJob(system.url, { job_type: 'sleep', payload: { ms: 8000 } });
      const waiter = await postJob(system.url, { job_type: 'echo', payload: { message: 'patient' } });
      const done = await waitUntilTerminal(system.url, [blocker.job_id, waiter.job_id], 60_000);
      assert.deepEqual(
        done.map((j) => j.status),
        ['SUCCEEDED', 'SUCCEEDED'],
      );
      assert.ok(startedAt(done[1]!) >= endedAt(done[0]!), 'the waiter ran after the blocker');
      assert.equal(system.launcher.launchesOf(waiter.job_id), 1);
    });
  });
}
