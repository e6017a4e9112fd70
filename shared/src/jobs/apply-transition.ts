import type { Job } from '../domain/job.ts';
import type { Transition } from '../domain/transitions.ts';
import { ConflictError, NotFoundError } from '../domain/errors.ts';
import type { JobStore } from '../ports/job-store.ts';
import { deliveriesOwedByJobWrite } from '../domain/webhook-deliveries-owed.ts';

export interface Applied {
  /** The job after the write, or as found when the step did not apply. */
  job: Job;
  applied: boolean;
}

/**
 * Optimistic concurrency: read the job, plan one step from the snapshot, write it conditionally on
 * the snapshot's version; when another writer got there first, read again and re-plan. A step that
 * no longer applies to the fresh snapshot (`plan` returns null) is not an error: someone else did it.
 */
export async function applyTransition(
  store: JobStore,
  jobId: string,
  plan: (job: Job) => Transition | null,
  now: () => Date,
  maxTries = 8,
): Promise<Applied> {
  for (let tries = 1; ; tries++) {
    const job = await store.get(jobId);
    if (!job) throw new NotFoundError(`job ${jobId} not found`);
    const step = plan(job);
    if (!step) return { job, applied: false };
    const at = now();
    // A step that ends the job writes the webhook deliveries it owes with it (the outbox).
    const owed = deliveriesOwedByJobWrite(job, step.changes.status, at);
    try {
      return { job: await store.update(jobId, step.expect, step.changes, at, owed), applied: true };
    } catch (error) {
      if (!(error instanceof ConflictError) || tries >= maxTries) throw error;
    }
  }
}
