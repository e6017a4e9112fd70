import type { Pipeline, PipelineChanges, PipelineExpectation } from '../domain/pipeline.ts';
import type { WebhookDelivery } from '../domain/webhook-delivery.ts';
import type { IdempotencyRecord } from './job-store.ts';

/**
 * Pipeline records. Each is one item (one row), so recording a pipeline with all its steps is a
 * single atomic write on either backend, whatever the number of steps; the step jobs are created
 * from it afterwards with the ids it holds (see shared/src/pipelines/materialise-steps.ts).
 */
export interface PipelineStore {
  /**
   * ConflictError if the id exists. With `idempotency` (which names this pipeline), stores the
   * record in the same atomic write, as JobStore.create does for a job: when a live record already
   * holds that tenant's key, nothing is written and ConflictError is thrown. The record is then
   * read with JobStore.findIdempotencyRecord (one key space per tenant, whatever a key created).
   */
  create(pipeline: Pipeline, idempotency?: IdempotencyRecord): Promise<void>;
  get(pipelineId: string): Promise<Pipeline | null>;
  /**
   * Applies `changes` iff the record matches `expect`, bumping `version` and setting `updatedAt`.
   * Returns the record as written. NotFoundError if absent; ConflictError (nothing changed) if it
   * does not match.
   *
   * The write that ends a pipeline (status leaves RUNNING) goes through here as well, with the
   * webhook deliveries it `owed` (`pipeline.succeeded` / `pipeline.failed`) written in the same
   * atomic write: a pipeline that ended always has its deliveries (shared/src/pipelines/end-pipeline.ts).
   */
  update(
    pipelineId: string,
    expect: PipelineExpectation,
    changes: PipelineChanges,
    now: Date,
    owed?: readonly WebhookDelivery[],
  ): Promise<Pipeline>;
  /** RUNNING pipelines, oldest first, for the dispatcher's sweep. */
  listRunning(limit: number): Promise<Pipeline[]>;
}
