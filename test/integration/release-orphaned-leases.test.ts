import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { ulid } from '@agent-runner/shared/domain/ids.ts';
import { createLogger } from '@agent-runner/shared/observability/logger.ts';
import type { DispatcherDeps } from '@agent-runner/dispatcher/dispatcher-deps.ts';
import { releaseOrphanedLeases } from '@agent-runner/dispatcher/release-orphaned-leases.ts';
import { backendsUnderTest, openBackend, type OpenedBackend } from '../support/backends.ts';
import { jobRecordAt } from '../support/job-records.ts';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000);

for (const target of backendsUnderTest()) {
  describe(`the orphaned-slot sweep (${target.name})`, () => {
    let opened: OpenedBackend;
    beforeAll(async () => {
      opened = await openBackend(target, { AGENT_RUNNER_CLAIM_TIMEOUT_SECONDS: '30' });
    });
    afterAll(() => opened?.close());

    test('frees the slots of jobs that stopped running a while ago, and only those', async () => {
      const { jobs, leases } = opened.backend;
      const holders = {
        finishedLongAgo: jobRecordAt('SUCCEEDED', ago(120)),
        failedLongAgo: jobRecordAt('FAILED', ago(90)),
        running: jobRecordAt('RUNNING', ago(120)),
        dispatched: jobRecordAt('DISPATCHED', ago(120)),
        // Its worker recorded the end a moment ago and is releasing the slots itself.
        justFinished: jobRecordAt('SUCCEEDED', ago(2)),
        // Slots taken a moment ago: its launch may be under way, the claim not yet written.
        launching: jobRecordAt('QUEUED', ago(120)),
      };
      for (const job of Object.values(holders)) await jobs.create(job);
      const scope = [{ key: 'global', limit: 100 }];
      for (const [name, job] of Object.entries(holders)) {
        const acquired = await leases.acquire(job.jobId, scope, name === 'launching' ? ago(1) : ago(100));
        assert.ok(acquired.acquired, name);
      }
      // A holder whose job no longer exists at all (an enqueue undone after the slots were taken).
      const vanished = ulid(ago(100));
      await leases.acquire(vanished, scope, ago(100));

      const deps = {
        config: opened.config,
        jobs,
        leases,
        clock: { now: () => NOW },
        log: createLogger('test', 'silent'),
      } as unknown as DispatcherDeps;
      assert.equal(await releaseOrphanedLeases(deps), 3);

      const stillHeld = new Set((await leases.list()).map((l) => l.holder));
      assert.deepEqual(
        Object.entries(holders)
          .filter(([, job]) => stillHeld.has(job.jobId))
          .map(([name]) => name)
          .sort(),
        ['dispatched', 'justFinished', 'launching', 'running'],
      );
      assert.ok(!stillHeld.has(vanished));
      assert.equal(await releaseOrphanedLeases(deps), 0, 'a second sweep finds nothing more');

      // A launch this dispatcher is still making keeps its slots past the claim timeout.
      const slowLaunch = jobRecordAt('QUEUED', ago(120));
      await jobs.create(slowLaunch);
      await leases.acquire(slowLaunch.jobId, scope, ago(100));
      assert.equal(await releaseOrphanedLeases(deps, new Set([slowLaunch.jobId])), 0);
      assert.equal(await releaseOrphanedLeases(deps), 1, 'once it is not launching here, it is an orphan');
    });
  });
}
