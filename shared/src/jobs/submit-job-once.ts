import { ConflictError, UnavailableError, ValidationError } from '../domain/errors.ts';
import type { Job, NewJob } from '../domain/job.ts';
import { submitJob, type IdempotencyClaim, type SubmitJobDeps } from './submit-job.ts';

/** IETF httpapi-idempotency-key-header suggests 24 h; a key names its job that long. */
export const IDEMPOTENCY_KEY_LIFETIME_MS = 24 * 3_600_000;

/**
 * How many times a submission re-reads a key that another request took or freed meanwhile. Each
 * round either answers or sees a write that happened since the last: two suffice in practice.
 */
const ROUNDS = 3;

export interface IdempotentSubmission {
  tenant: string;
  key: string;
  /** SHA-256 of the canonical request body. */
  requestHash: string;
}

/**
 * Submits `input` once per (tenant, key): the first request creates the job; a repeat with the same
 * request (same hash) within IDEMPOTENCY_KEY_LIFETIME_MS gets that job back with `replayed`, a repeat
 * with another request is refused (422). Racing requests are settled by the store's atomic write of
 * job + key: the loser re-reads the key and replays the winner's job.
 */
export async function submitJobOnce(
  deps: SubmitJobDeps,
  input: NewJob,
  submission: IdempotentSubmission,
): Promise<{ job: Job; replayed: boolean }> {
  const claim: IdempotencyClaim = { ...submission, lifetimeMs: IDEMPOTENCY_KEY_LIFETIME_MS };
  for (let round = 0; round < ROUNDS; round++) {
    const existing = await deps.jobs.findIdempotencyRecord(submission.tenant, submission.key, deps.clock.now());
    if (existing) {
      if (existing.requestHash !== submission.requestHash) {
        throw new ValidationError(
          `Idempotency-Key "${submission.key}" was used for a different request (job ${existing.jobId}); use a new key`,
          {
            status: 422,
            problem: 'idempotency-key-reused',
          },
        );
      }
      const job = await deps.jobs.get(existing.jobId);
      if (job) return { job, replayed: true };
      // Its job was undone (the enqueue failed) and the key not yet freed: free it and submit.
      await deps.jobs.releaseIdempotencyRecord(existing.tenant, existing.key, existing.jobId);
      continue;
    }
    try {
      return { job: await submitJob(deps, input, claim), replayed: false };
    } catch (error) {
      // Taken by a racing request since the read above: the next round replays its job.
      if (!(error instanceof ConflictError)) throw error;
    }
  }
  throw new UnavailableError(`Idempotency-Key "${submission.key}" kept changing hands; try again`);
}
