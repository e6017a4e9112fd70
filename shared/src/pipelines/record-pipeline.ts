import type { NewJob, JsonValue } from '../domain/job.ts';
import type { Pipeline, PipelineStep } from '../domain/pipeline.ts';
import type { WebhookTarget } from '../domain/webhook-target.ts';
import { payloadKeyFor } from '../jobs/submit-job.ts';
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
 * where the step's job will find them. Validation is the caller's.
 */
export async function recordPipeline(deps: RecordPipelineDeps, input: NewPipeline): Promise<Pipeline> {
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
  await deps.pipelines.create(pipeline);
  return materialiseSteps(deps, pipeline);
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
