import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'vitest';
import { messageFor } from '@agent-runner/shared/domain/job.ts';
import { claimForLaunch } from '@agent-runner/shared/domain/transitions.ts';
import { applyTransition } from '@agent-runner/shared/jobs/apply-transition.ts';
import { postJob, waitUntilTerminal } from '../support/api-client.ts';
import { backendNames, startSystem, type TestSystem } from '../support/system.ts';
import { waitFor } from '../support/wait-for.ts';

for (const name of backendNames()) {
  describe(`delivery guarantees (${name})`, () => {
    let system: TestSystem | undefined;
    afterEach(async () => {
      await system?.stop();
      system = undefined;
    });

    test('the same message delivered twice, to two dispatchers consuming one queue, yields one launch', async () => {
      // The default claim timeout: a claim must not go stale (and be taken over) while a loaded
      // machine is still launching, or this would measure the takeover path, not the race.
      const sys = await startSystem(name);
      system = sys;
      // Jobs are submitted while no dispatcher runs, then every message is sent a second time (SQS
      // delivers at least once; a redrive or a sweeper can duplicate too).
      const jobs = await Promise.all(
        Array.from({ length: 10 }, (_, i) => postJob(sys.url, { job_type: 'echo', payload: { message: `dup ${i}` } })),
      );
      for (const job of jobs) {
        const record = await sys.backend.jobs.get(job.job_id);
        await sys.backend.queue.enqueue(messageFor(record!), { deduplicationId: `${job.job_id}:duplicate` });
      }
      sys.startDispatcher();
      sys.startDispatcher();
      const done = await waitUntilTerminal(
        sys.url,
        jobs.map((j) => j.job_id),
        90_000,
      );
      for (const job of done) {
        assert.equal(job.status, 'SUCCEEDED');
        assert.equal(job.attempts.length, 1);
        assert.equal(sys.launcher.launchesOf(job.job_id), 1, `launches of ${job.job_id}`);
      }
      // Both copies of every message were consumed and deleted.
      await waitFor(
        'the queue to drain',
        async () => {
          const depth = await sys.backend.queue.depth();
          const total = Object.values(depth).reduce((n, d) => n + d.waiting + d.inFlight, 0);
          return total === 0 ? true : undefined;
        },
        { timeoutMs: 30_000 },
      );
      await sys.stopDispatchers();
    });

    test('a dispatcher that dies between claim and launch leaves the job to be launched later, once', async () => {
      // A short claim timeout, so the abandoned claim goes stale within the test.
      const sys = await startSystem(name, { AGENT_RUNNER_CLAIM_TIMEOUT_SECONDS: '2' });
      system = sys;
      const job = await postJob(sys.url, { job_type: 'echo', payload: { message: 'orphaned claim' } });
      // The doomed dispatcher: receives the message, claims the job exactly as the real one does,
      // and dies before launching (its handler never acks; the message stays in flight).
      const doomed = sys.backend.createFeed({ visibilityTimeoutSeconds: 2, batchSize: 1, maxInFlight: 1 });
      let claimed = false;
      doomed.start(async (delivery) => {
        if (delivery.message.jobId !== job.job_id || claimed) return { kind: 'release', delaySeconds: 0 };
        const now = () => new Date();
        const result = await applyTransition(sys.backend.jobs, job.job_id, (j) => claimForLaunch(j, now(), 2), now);
        claimed = result.applied;
        throw new Error('dispatcher killed after claim, before launch');
      });
      await waitFor('the doomed claim', () => (claimed ? true : undefined), { timeoutMs: 20_000 });
      await doomed.stop();
      const claimedRecord = await sys.backend.jobs.get(job.job_id);
      assert.equal(claimedRecord?.status, 'DISPATCHED');
      assert.equal(claimedRecord?.attempts[0]?.workerRef, null);

      sys.startDispatcher({ visibilityTimeoutSeconds: 2 });
      const [done] = await waitUntilTerminal(sys.url, [job.job_id], 60_000);
      assert.equal(done?.status, 'SUCCEEDED');
      assert.equal(done?.attempts.length, 1, 'the abandoned claim is resumed under the same attempt');
      assert.equal(sys.launcher.launchesOf(job.job_id), 1);
    });
  });
}
