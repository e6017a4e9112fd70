import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { JobStatus } from '@agent-runner/shared/domain/job-status.ts';
import { createLogger } from '@agent-runner/shared/observability/logger.ts';
import { listActiveJobs } from '@agent-runner/dispatcher/list-active-jobs.ts';
import { backendsUnderTest, openBackend, type OpenedBackend } from '../support/backends.ts';
import { jobRecordAt } from '../support/job-records.ts';

let clockMs = Date.parse('2026-03-01T00:00:00.000Z');
const jobIn = (status: JobStatus) => {
  clockMs += 1000;
  return jobRecordAt(status, new Date(clockMs));
};

for (const target of backendsUnderTest()) {
  describe(`the reaper's listing of active jobs (${target.name})`, () => {
    let opened: OpenedBackend;
    beforeAll(async () => {
      opened = await openBackend(target);
    });
    afterAll(() => opened?.close());

    test('lists every RUNNING and DISPATCHED job, past the first page, and nothing else', async () => {
      const made = [
        ...Array.from({ length: 205 }, () => jobIn('RUNNING')),
        ...Array.from({ length: 7 }, () => jobIn('DISPATCHED')),
        ...Array.from({ length: 5 }, () => jobIn('QUEUED')),
        ...Array.from({ length: 5 }, () => jobIn('SUCCEEDED')),
      ];
      for (const job of made) await opened.backend.jobs.create(job);
      const listed = await listActiveJobs(opened.backend.jobs, createLogger('test', 'silent'));
      const expected = made.filter((j) => j.status === 'RUNNING' || j.status === 'DISPATCHED').map((j) => j.jobId);
      assert.equal(listed.length, expected.length, 'more than one page of RUNNING jobs, all of them');
      assert.deepEqual(listed.map((j) => j.jobId).sort(), expected.sort());
    });
  });
}
