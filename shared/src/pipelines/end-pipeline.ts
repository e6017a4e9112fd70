import { ConflictError } from '../domain/errors.ts';
import type { Pipeline, PipelineStatus } from '../domain/pipeline.ts';
import type { PipelineWebhookEvent, WebhookTarget } from '../domain/webhook-target.ts';
import type { PipelineDeps } from './pipeline-deps.ts';

/** The webhook event a pipeline's end reports; a cancelled pipeline reports none (its caller asked for it). */
export function pipelineEndEvent(status: Exclude<PipelineStatus, 'RUNNING'>): PipelineWebhookEvent | null {
  if (status === 'SUCCEEDED') return 'pipeline.succeeded';
  if (status === 'FAILED') return 'pipeline.failed';
  return null;
}

/** The targets that want this end reported: what the webhook outbox must hold once the end is written. */
export function pipelineEndDeliveries(pipeline: Pipeline, status: Exclude<PipelineStatus, 'RUNNING'>): WebhookTarget[] {
  const event = pipelineEndEvent(status);
  return event === null ? [] : pipeline.webhooks.filter((t) => t.events.includes(event));
}

/**
 * THE WRITE THAT ENDS A PIPELINE: RUNNING → SUCCEEDED | FAILED | CANCELLED, conditional on the
 * record being RUNNING, so it happens once however many advancers race to it. The webhook outbox
 * (`pipelineEndDeliveries`) belongs in this same conditional write, so a pipeline that ended
 * always has its deliveries: when the outbox port exists, PipelineStore.update takes them here.
 * Returns the pipeline as it is after the attempt (ended by this call or by another).
 */
export async function endPipeline(deps: PipelineDeps, pipeline: Pipeline, status: Exclude<PipelineStatus, 'RUNNING'>): Promise<Pipeline> {
  const now = deps.clock.now();
  try {
    return await deps.pipelines.update(pipeline.pipelineId, { status: ['RUNNING'] }, { status, finishedAt: now.toISOString() }, now);
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    return (await deps.pipelines.get(pipeline.pipelineId)) ?? pipeline;
  }
}
