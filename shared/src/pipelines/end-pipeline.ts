import { ConflictError } from '../domain/errors.ts';
import type { Pipeline, PipelineStatus } from '../domain/pipeline.ts';
import type { PipelineWebhookEvent } from '../domain/webhook-target.ts';
import { webhookDeliveriesOwed } from '../domain/webhook-deliveries-owed.ts';
import type { PipelineDeps } from './pipeline-deps.ts';

/** The webhook event a pipeline's end reports; a cancelled pipeline reports none (its caller asked for it). */
export function pipelineEndEvent(status: Exclude<PipelineStatus, 'RUNNING'>): PipelineWebhookEvent | null {
  if (status === 'SUCCEEDED') return 'pipeline.succeeded';
  if (status === 'FAILED') return 'pipeline.failed';
  return null;
}

/**
 * THE WRITE THAT ENDS A PIPELINE: RUNNING → SUCCEEDED | FAILED | CANCELLED, conditional on the
 * record being RUNNING, so it happens once however many advancers race to it. The webhook
 * deliveries it owes are written in this same atomic write (the outbox): a pipeline that ended
 * always has its deliveries, and their ids derive from the pipeline, so none is made twice.
 * Returns the pipeline as it is after the attempt (ended by this call or by another).
 */
export async function endPipeline(deps: PipelineDeps, pipeline: Pipeline, status: Exclude<PipelineStatus, 'RUNNING'>): Promise<Pipeline> {
  const now = deps.clock.now();
  const owed = webhookDeliveriesOwed(
    { kind: 'pipeline', id: pipeline.pipelineId, tenant: pipeline.tenant },
    pipeline.webhooks,
    pipelineEndEvent(status),
    now,
  );
  try {
    return await deps.pipelines.update(pipeline.pipelineId, { status: ['RUNNING'] }, { status, finishedAt: now.toISOString() }, now, owed);
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    return (await deps.pipelines.get(pipeline.pipelineId)) ?? pipeline;
  }
}
