import { ConflictError, UnavailableError, ValidationError } from '../domain/errors.ts';
import type { Pipeline } from '../domain/pipeline.ts';
import { IDEMPOTENCY_KEY_LIFETIME_MS, type IdempotentSubmission } from '../jobs/submit-job-once.ts';
import type { IdempotencyRecord } from '../ports/job-store.ts';
import { materialiseSteps } from './materialise-steps.ts';
import type { RecordPipelineDeps } from './pipeline-deps.ts';
import { recordPipeline, type NewPipeline } from './record-pipeline.ts';

/** As in submitJobOnce: each round answers or sees a write made since the last. */
const ROUNDS = 3;

/**
 * Records `input` once per (tenant, key), as submitJobOnce submits a job: the first request records
 * the pipeline; a repeat with the same request within the key's lifetime gets that pipeline back
 * with `replayed`; a repeat with another request is a 422.
 *
 * Why the key's record is written atomically with the pipeline record, rather than the pipeline id
 * being derived from tenant + key: the pipeline record is already the commit point (its step jobs
 * are created from it afterwards), so putting the key in that same write (one SQLite transaction, a
 * two-item TransactWriteItems) makes "the key is taken" and "the pipeline exists" one fact. A crash
 * before it leaves neither (the retry records the pipeline); a crash after it leaves both (the retry
 * replays it, creating any step job the crash left uncreated). Ids stay ULIDs ordered by time, and a
 * key frees itself after its lifetime like a job's, which a derived id could not do.
 */
export async function recordPipelineOnce(
  deps: RecordPipelineDeps,
  input: NewPipeline,
  submission: IdempotentSubmission,
): Promise<{ pipeline: Pipeline; replayed: boolean }> {
  const claim = { ...submission, lifetimeMs: IDEMPOTENCY_KEY_LIFETIME_MS };
  for (let round = 0; round < ROUNDS; round++) {
    const existing = await deps.jobs.findIdempotencyRecord(submission.tenant, submission.key, deps.clock.now());
    if (existing) return { pipeline: await replay(deps, existing, submission), replayed: true };
    try {
      return { pipeline: await recordPipeline(deps, input, claim), replayed: false };
    } catch (error) {
      // Taken by a racing request since the read above: the next round replays its pipeline.
      if (!(error instanceof ConflictError)) throw error;
    }
  }
  throw new UnavailableError(`Idempotency-Key "${submission.key}" kept changing hands; try again`);
}

async function replay(deps: RecordPipelineDeps, existing: IdempotencyRecord, submission: IdempotentSubmission): Promise<Pipeline> {
  // A key that created a plain job can only match another request: the bodies differ.
  if (existing.requestHash !== submission.requestHash || existing.pipelineId === undefined) {
    const what = existing.pipelineId === undefined ? `job ${existing.jobId}` : `pipeline ${existing.pipelineId}`;
    throw new ValidationError(`Idempotency-Key "${submission.key}" was used for a different request (${what}); use a new key`, {
      status: 422,
      problem: 'idempotency-key-reused',
    });
  }
  const pipeline = await deps.pipelines.get(existing.pipelineId);
  // Written in one atomic write with its key, and never deleted: a record without it is a broken store.
  if (!pipeline) throw new UnavailableError(`Idempotency-Key "${submission.key}" names pipeline ${existing.pipelineId}, which is missing`);
  // The first request may have died before creating the step jobs: the answer needs them now, not at the next sweep.
  return materialiseSteps(deps, pipeline);
}
