import type { Job, JobChanges, JobExpectation, JsonValue } from '../domain/job.ts';
import type { JobStatus } from '../domain/job-status.ts';
import type { WebhookDelivery } from '../domain/webhook-delivery.ts';

export interface JobListQuery {
  status?: JobStatus;
  jobType?: string;
  /** Only this tenant's jobs. */
  tenant?: string;
  limit: number;
  /** Opaque cursor from a previous page's `nextCursor`. */
  cursor?: string;
}

/** Jobs created in [from, to), oldest first (by job id, a ULID: creation order to the millisecond). */
export interface CreatedBetweenQuery {
  from: Date;
  to: Date;
  limit: number;
  /** Opaque cursor from a previous page's `nextCursor`. */
  cursor?: string;
}

export interface JobPage {
  /** Newest first (by creation time, i.e. by job id); oldest first from `listCreatedBetween`. */
  jobs: Job[];
  nextCursor: string | null;
}

/**
 * A client's Idempotency-Key on a submission, remembered with the job it created, so a repeat of
 * the request finds that job instead of creating another.
 */
export interface IdempotencyRecord {
  /** Whose key it is: two tenants' equal keys never meet. */
  tenant: string;
  key: string;
  /** SHA-256 (hex) of the canonical request body: a repeat must send the same request. */
  requestHash: string;
  /** The job the request created; for a pipeline, its first step's job. */
  jobId: string;
  /**
   * The pipeline the request recorded (POST /pipelines, POST /jobs with `then`); absent for a
   * plain job. Such a record is written with the pipeline, never with a job, and never released.
   */
  pipelineId?: string;
  /** ISO 8601, as on the job. */
  createdAt: string;
  /** ISO 8601: from then on the key is free again and a write may replace the record. */
  expiresAt: string;
}

/**
 * The durable record of every job. Every state change goes through `update`, a conditional write:
 * two dispatchers, a duplicate delivery or a late worker can never both win the same transition.
 */
export interface JobStore {
  /**
   * Stores a new job. ConflictError if the id exists. With `idempotency` (which names this job),
   * stores the record in the same atomic write; when a live record (not expired at the job's
   * `createdAt`) already holds that tenant's key, nothing is written and ConflictError is thrown.
   */
  create(job: Job, idempotency?: IdempotencyRecord): Promise<void>;
  /** The record holding `tenant`'s `key`, or null when there is none or it has expired at `now`. */
  findIdempotencyRecord(tenant: string, key: string, now: Date): Promise<IdempotencyRecord | null>;
  /** Frees `tenant`'s `key` if its record still names `jobId` (a job that was undone); else does nothing. */
  releaseIdempotencyRecord(tenant: string, key: string, jobId: string): Promise<void>;
  get(jobId: string): Promise<Job | null>;
  /** Several records in one ask where the store can (DynamoDB: BatchGetItem per 100), in the order given; missing ids are skipped. */
  getMany(jobIds: readonly string[]): Promise<Job[]>;
  list(query: JobListQuery): Promise<JobPage>;
  /**
   * Applies `changes` iff the stored job matches `expect`, bumping `version` by one and setting
   * `updatedAt` to `now`. Returns the job as written. NotFoundError if absent; ConflictError (with
   * no change made) if it does not match. `owed`: webhook deliveries the write owes (it ends the
   * job), stored in the same atomic write, so a job that ended always has its outbox.
   */
  update(jobId: string, expect: JobExpectation, changes: JobChanges, now: Date, owed?: readonly WebhookDelivery[]): Promise<Job>;
  /** Deletes the job iff it matches `expect` (used to undo a job whose enqueue failed). */
  delete(jobId: string, expect: JobExpectation): Promise<void>;
  /** Jobs in the given status, oldest first, for the sweeper and reaper. */
  listByStatus(status: JobStatus, limit: number): Promise<Job[]>;
  /** Jobs created in [from, to), oldest first, a page at a time (usage reports). */
  listCreatedBetween(query: CreatedBetweenQuery): Promise<JobPage>;
}

/** Large payloads and results live outside the job record. */
export interface BlobStore {
  put(key: string, body: Uint8Array | string, contentType: string): Promise<void>;
  /** null when absent. */
  get(key: string): Promise<Uint8Array | null>;
  delete(key: string): Promise<void>;
}

export async function getJson(blobs: BlobStore, key: string): Promise<JsonValue | null> {
  const bytes = await blobs.get(key);
  return bytes === null ? null : (JSON.parse(Buffer.from(bytes).toString('utf8')) as JsonValue);
}
