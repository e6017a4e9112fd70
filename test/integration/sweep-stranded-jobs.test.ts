import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { JobMessage } from '@agent-runner/shared/domain/job.ts';
import { createLogger } from '@agent-runner/shared/observability/logger.ts';
import type { EnqueueOptions, JobQueue } from '@agent-runner/shared/ports/job-queue.ts';
import type { DispatcherDeps } from '@agent-runner/dispatcher/dispatcher-deps.ts';
import { sweepStrandedJobs } from '@agent-runner/dispatcher/sweep-stranded-jobs.ts';
import { backendsUnderTest, openBackend, type OpenedBackend } from '../support/backends.ts';
import { jobRecordAt } from '../support/job-records.ts';

let now = new Date('2026-07-01T12:00:00.000Z');
const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000);

for (const target of backendsUnderTest()) {
  describe(`the stranded-job sweep (${target.name})`, () => {
    let opened: OpenedBackend;
    beforeAll(async () => {
      opened = await openBackend(target, { AGENT_RUNNER_REQUEUE_AFTER_SECONDS: '300' });
    });
    afterAll(() => opened?.close());

    test('re-enqueues a QUEUED job older than the limit once per limit, not once per sweep', async () => {
      const { jobs, queue } = opened.backend;
      const stranded = jobRecordAt('QUEUED', ago(600));
      const recent = jobRecordAt('QUEUED', ago(60));
      const running = jobRecordAt('RUNNING', ago(600));
      for (const job of [stranded, recent, running]) await jobs.create(job);

      // The real queue, with what is sent through it noted: the sweep's only visible effect.
      const sent: { message: JobMessage; options?: EnqueueOptions }[] = [];
      const noting: JobQueue = {
        enqueue: async (message, options) => {
          await queue.enqueue(message, options);
          sent.push({ message, ...(options ? { options } : {}) });
        },
        depth: () => queue.depth(),
      };
      const deps = {
        config: opened.config,
        jobs,
        queue: noting,
        clock: { now: () => now },
        log: createLogger('test', 'silent'),
      } as unknown as DispatcherDeps;

      assert.equal(await sweepStrandedJobs(deps), 1);
      assert.deepEqual(
        sent.map((s) => s.message.jobId),
        [stranded.jobId],
      );
      const marked = await jobs.get(stranded.jobId);
      assert.equal(marked?.status, 'QUEUED');
      assert.equal(marked?.version, stranded.version + 1, 'the re-enqueued job is marked');

      assert.equal(await sweepStrandedJobs(deps), 0, 'the next sweep leaves it alone');
      now = new Date(now.getTime() + 301_000);
      // Five minutes on, both QUEUED jobs are past the limit, once each.
      assert.equal(await sweepStrandedJobs(deps), 2);
      assert.deepEqual(
        sent
          .slice(1)
          .map((s) => s.message.jobId)
          .sort(),
        [stranded.jobId, recent.jobId].sort(),
      );
      assert.notEqual(
        sent[0]?.options?.deduplicationId,
        sent.find((s, i) => i > 0 && s.message.jobId === stranded.jobId)?.options?.deduplicationId,
      );
    });

    test('leaves jobs alone that wait with their message, however long', async () => {
      // A fresh queue and store: the first test's jobs and messages are not in this count.
      const fresh = await openBackend(target, { AGENT_RUNNER_REQUEUE_AFTER_SECONDS: '300' });
      try {
        const { jobs, queue } = fresh.backend;
        const waiting = [jobRecordAt('QUEUED', ago(3600)), jobRecordAt('QUEUED', ago(900))];
        for (const job of waiting) {
          await jobs.create(job);
          await queue.enqueue({ jobId: job.jobId, priority: job.priority, orderingKey: null });
        }
        const sent: string[] = [];
        const noting: JobQueue = {
          enqueue: async (message, options) => {
            await queue.enqueue(message, options);
            sent.push(message.jobId);
          },
          depth: () => queue.depth(),
        };
        const deps = { config: fresh.config, jobs, queue: noting, clock: { now: () => now }, log: createLogger('test', 'silent') };
        assert.equal(await sweepStrandedJobs(deps as unknown as DispatcherDeps), 0);
        assert.equal(sent.length, 0, 'no message re-sent for a job whose message is in the queue');
        for (const job of waiting) assert.equal((await jobs.get(job.jobId))?.version, job.version, 'and no write');

        // One more QUEUED job without a message: now a message is provably missing.
        const lost = jobRecordAt('QUEUED', ago(900));
        await jobs.create(lost);
        assert.equal(await sweepStrandedJobs(deps as unknown as DispatcherDeps), 3);
        assert.ok(sent.includes(lost.jobId));
      } finally {
        await fresh.close();
      }
    });
  });
}
