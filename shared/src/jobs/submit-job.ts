import { UnavailableError } from '../domain/errors.ts';
import type { Clock, IdSource } from '../domain/ids.ts';
import { createJobRecord, messageFor, type Job, type JsonValue, type NewJob } from '../domain/job.ts';
import type { JobQueue } from '../ports/job-queue.ts';
import type { BlobStore, IdempotencyRecord, JobStore } from '../ports/job-store.ts';

export interface SubmitJobDeps {
  jobs: JobStore;
  queue: JobQueue;
  blobs: BlobStore;
  clock: Clock;
  newId: IdSource;
  /** Payloads whose JSON is larger go to the blob store (config.inlineLimitBytes). */
  inlineLimitBytes: number;
}

/** A submission's Idempotency-Key: the record stored with the job is made from it. */
export interface IdempotencyClaim {
  tenant: string;
  key: string;
  requestHash: string;
  /** How long the key keeps naming the job. */
  lifetimeMs: number;
}

/** Where a job's payload lives when it is too large for the record. */
export function payloadKeyFor(jobId: string): string {
  return `payloads/${jobId}.json`;
}

/**
 * Records a new job (QUEUED) and enqueues its message. Record first, then enqueue: a message always
 * finds its record. When the enqueue fails the record is undone — deleted only if it is still
 * QUEUED at version 1, i.e. nobody has touched it — and the caller gets UnavailableError, so a job
 * reported as not submitted does not run. When even the undo fails the record stays QUEUED and the
 * dispatcher's sweeper re-enqueues it after AGENT_RUNNER_REQUEUE_AFTER_SECONDS; the caller still
 * gets UnavailableError (a retry may then run the work twice: the price of not losing it).
 * Validation is the caller's: `input` is trusted. With `idempotency`, the key is stored with the
 * record in one atomic write (ConflictError when a live record holds it) and freed by the undo.
 */
export async function submitJob(deps: SubmitJobDeps, input: NewJob, idempotency?: IdempotencyClaim): Promise<Job> {
  const now = deps.clock.now();
  const jobId = deps.newId(now);
  const stored = await storePayload(deps, jobId, input.payload);
  const job = createJobRecord(jobId, input, now, stored);
  const record = idempotency && idempotencyRecordOf(idempotency, job);
  try {
    await deps.jobs.create(job, record);
  } catch (error) {
    await deleteBlobQuietly(deps.blobs, stored.payloadRef);
    throw error;
  }

  try {
    await deps.queue.enqueue(messageFor(job));
  } catch (enqueueError) {
    try {
      await deps.jobs.delete(jobId, { status: ['QUEUED'], version: 1 });
    } catch (undoError) {
      throw new UnavailableError(`job ${jobId} could not be enqueued and was left QUEUED for the sweeper`, {
        cause: new AggregateError([enqueueError, undoError], 'enqueue failed, then the undo failed'),
      });
    }
    await deleteBlobQuietly(deps.blobs, stored.payloadRef);
    // A record left naming the deleted job is freed by the next request with its key.
    if (record) await deps.jobs.releaseIdempotencyRecord(record.tenant, record.key, jobId).catch(() => {});
    throw new UnavailableError(`job ${jobId} could not be enqueued and was not recorded`, { cause: enqueueError });
  }
  return job;
}

function idempotencyRecordOf(claim: IdempotencyClaim, job: Job): IdempotencyRecord {
  const expiresAt = new Date(Date.parse(job.createdAt) + claim.lifetimeMs).toISOString();
  return { tenant: claim.tenant, key: claim.key, requestHash: claim.requestHash, jobId: job.jobId, createdAt: job.createdAt, expiresAt };
}

/**
 * Small payloads stay on the record; larger ones go to the blob store, because a DynamoDB item
 * cannot exceed 400 KB (and a fat record makes every conditional write slower).
 */
async function storePayload(
  deps: SubmitJobDeps,
  jobId: string,
  payload: JsonValue,
): Promise<{ payload: JsonValue | null; payloadRef: string | null }> {
  const body = JSON.stringify(payload);
  if (Buffer.byteLength(body) <= deps.inlineLimitBytes) return { payload, payloadRef: null };
  const payloadRef = payloadKeyFor(jobId);
  await deps.blobs.put(payloadRef, body, 'application/json');
  return { payload: null, payloadRef };
}

/** An orphaned payload blob costs storage, not correctness: its removal failing is not the caller's error. */
async function deleteBlobQuietly(blobs: BlobStore, key: string | null): Promise<void> {
  if (key === null) return;
  try {
    await blobs.delete(key);
  } catch {
    // Nothing references the blob any more; leave it.
  }
}
