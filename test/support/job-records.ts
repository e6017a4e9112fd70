import { ulid } from '@agent-runner/shared/domain/ids.ts';
import { createJobRecord, type Job } from '@agent-runner/shared/domain/job.ts';
import type { JobStatus } from '@agent-runner/shared/domain/job-status.ts';

/**
 * An echo job's record as the store would hold it, in `status`, created and last changed at `at`
 * (its id a ULID of that time): for tests of the dispatcher's sweeps, which judge jobs by both.
 */
export function jobRecordAt(status: JobStatus, at: Date): Job {
  const job = createJobRecord(
    ulid(at),
    { jobType: 'echo', payload: {}, priority: 'normal', tenant: 'acme', orderingKey: null, maxAttempts: 3, timeoutSeconds: 60 },
    at,
    { payload: {}, payloadRef: null },
  );
  return { ...job, status };
}
