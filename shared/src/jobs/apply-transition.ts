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
 *
 * `known`: the job as the caller last read or wrote it (a write returns the record as written).
 * The first plan uses it instead of a read: the write is conditional on its version, so a stale
 * snapshot costs one refused write and a read, never a wrong change — and a fresh one, the usual
 * case (the claim right after the delivery's read, the launch record right after the claim, the
 * worker's end right after its start), saves a strongly consistent read per step.
 */
export async function applyTransition(
  store: JobStore,
  jobId: string,
  plan: (job: Job) => Transition | null,
  now: () => Date,
  maxTries = 8,
  known?: Job,
): Promise<Applied> {
  let snapshot = known;
  for (let tries = 1; ; tries++) {
    const fromSnapshot = snapshot !== undefined;
    const job = snapshot ?? (await store.get(jobId));
    snapshot = undefined;
    if (!job) throw new NotFoundError(`job ${jobId} not found`);
    const step = plan(job);
    // "Nothing to do" is a verdict on the job as it is now: a remembered snapshot cannot give it.
    if (!step && fromSnapshot) {
      tries--;
      continue;
    }
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
