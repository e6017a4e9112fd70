import type { NewJob, JsonValue } from '../domain/job.ts';
import type { Pipeline, PipelineStep } from '../domain/pipeline.ts';
import type { WebhookTarget } from '../domain/webhook-target.ts';
import { payloadKeyFor, type IdempotencyClaim } from '../jobs/submit-job.ts';
import type { IdempotencyRecord } from '../ports/job-store.ts';
import { materialiseSteps } from './materialise-steps.ts';
import type { RecordPipelineDeps } from './pipeline-deps.ts';

/** A validated step: a job submission (its tenant is the pipeline's) with its place in the graph. */
export interface NewPipelineStep {
  name: string;
  needs: string[];
  continueOnFailure: boolean;
  job: Omit<NewJob, 'tenant' | 'keyId'>;
}

export interface NewPipeline {
  tenant: string;
  keyId: string | null;
  steps: NewPipelineStep[];
  webhooks: WebhookTarget[];
  /** Every step job's targets (the tenant's endpoints for job events). */
  stepWebhooks: WebhookTarget[];
}

/**
 * Records a pipeline in one write, then creates its step jobs and enqueues the ones that need
 * nothing. The record (every step, with the job id chosen for it) is the commit point: once it is
 * written the pipeline exists, and if this process dies before its steps do, the dispatcher's
 * sweep creates them from it. Step payloads too large for the record go to the blob store first,
 * where the step's job will find them. Validation is the caller's. With `idempotency`, the key's
 * record is written in the same atomic write as the pipeline (ConflictError, nothing recorded, when
 * a live record holds the key): see record-pipeline-once.ts.
 */
export async function recordPipeline(deps: RecordPipelineDeps, input: NewPipeline, idempotency?: IdempotencyClaim): Promise<Pipeline> {
  const now = deps.clock.now();
  const pipelineId = deps.newId(now);
  // The record is one item: each step's inline share of the inline limit keeps it well under 400 KB.
  const perStepInline = Math.floor(deps.config.inlineLimitBytes / Math.max(1, input.steps.length));
  const steps: PipelineStep[] = [];
  for (const step of input.steps) {
    const jobId = deps.newId(now);
    steps.push({
      name: step.name,
      jobId,
      needs: step.needs,
      continueOnFailure: step.continueOnFailure,
      jobType: step.job.jobType,
      ...(await storeStepPayload(deps, jobId, step.job.payload, perStepInline)),
      priority: step.job.priority,
      orderingKey: step.job.orderingKey,
      maxAttempts: step.job.maxAttempts,
      timeoutSeconds: step.job.timeoutSeconds,
    });
  }
  const at = now.toISOString();
  const pipeline: Pipeline = {
    pipelineId,
    tenant: input.tenant,
    keyId: input.keyId,
    status: 'RUNNING',
    version: 1,
    createdAt: at,
    updatedAt: at,
    finishedAt: null,
    materialised: false,
    cancelRequested: false,
    steps,
    webhooks: input.webhooks,
    stepWebhooks: input.stepWebhooks,
  };
  try {
    await deps.pipelines.create(pipeline, idempotency && idempotencyRecordOf(idempotency, pipeline));
  } catch (error) {
    // Nothing names these payloads: the pipeline that would have was not recorded.
    await Promise.all(steps.map((step) => (step.payloadRef === null ? undefined : deps.blobs.delete(step.payloadRef).catch(() => {}))));
    throw error;
  }
  return materialiseSteps(deps, pipeline);
}

/** The key's record names the pipeline, and its first step's job (what POST /jobs with `then` answers). */
function idempotencyRecordOf(claim: IdempotencyClaim, pipeline: Pipeline): IdempotencyRecord {
  const expiresAt = new Date(Date.parse(pipeline.createdAt) + claim.lifetimeMs).toISOString();
  return {
    tenant: claim.tenant,
    key: claim.key,
    requestHash: claim.requestHash,
    jobId: pipeline.steps[0]!.jobId,
    pipelineId: pipeline.pipelineId,
    createdAt: pipeline.createdAt,
    expiresAt,
  };
}

async function storeStepPayload(
  deps: RecordPipelineDeps,
  jobId: string,
  payload: JsonValue,
  inlineLimit: number,
): Promise<{ payload: JsonValue | null; payloadRef: string | null }> {
  const body = JSON.stringify(payload);
  if (Buffer.byteLength(body) <= inlineLimit) return { payload, payloadRef: null };
  const payloadRef = payloadKeyFor(jobId);
  await deps.blobs.put(payloadRef, body, 'application/json');
  return { payload: null, payloadRef };
}
