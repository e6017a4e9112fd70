import { ConflictError } from '../domain/errors.ts';
import { createJobRecord, messageFor, type Job } from '../domain/job.ts';
import type { Pipeline, PipelineStep } from '../domain/pipeline.ts';
import type { PipelineDeps } from './pipeline-deps.ts';

const CREATE_AT_ONCE = 10;

/**
 * Creates every step's job that does not exist yet, with the id the pipeline record chose for it:
 * WAITING when it needs other steps, else QUEUED and enqueued. Idempotent and safe to race (the
 * API right after recording, the sweep after a crash): a create that finds the job is skipped,
 * and a step is enqueued only by whoever created it (one lost in between is a QUEUED job the
 * stranded-job sweep re-enqueues). Then marks the pipeline materialised.
 */
export async function materialiseSteps(deps: PipelineDeps, pipeline: Pipeline): Promise<Pipeline> {
  if (pipeline.materialised) return pipeline;
  const now = deps.clock.now();
  const createOne = async (step: PipelineStep) => {
    const job = stepJobRecord(pipeline, step, now);
    try {
      await deps.jobs.create(job);
    } catch (error) {
      if (error instanceof ConflictError) return;
      throw error;
    }
    if (job.status === 'QUEUED') await deps.queue.enqueue(messageFor(job));
  };
  // A few at a time: 100 sequential puts are 100 round trips on the request that records it.
  for (let i = 0; i < pipeline.steps.length; i += CREATE_AT_ONCE)
    await Promise.all(pipeline.steps.slice(i, i + CREATE_AT_ONCE).map(createOne));
  try {
    return await deps.pipelines.update(
      pipeline.pipelineId,
      { status: ['RUNNING'], version: pipeline.version },
      { materialised: true },
      now,
    );
  } catch (error) {
    // Someone else marked it (or cancelled it) meanwhile: the jobs exist all the same.
    if (!(error instanceof ConflictError)) throw error;
    return (await deps.pipelines.get(pipeline.pipelineId)) ?? pipeline;
  }
}

function stepJobRecord(pipeline: Pipeline, step: PipelineStep, now: Date): Job {
  const job = createJobRecord(
    step.jobId,
    {
      jobType: step.jobType,
      payload: step.payload,
      priority: step.priority,
      tenant: pipeline.tenant,
      keyId: pipeline.keyId,
      orderingKey: step.orderingKey,
      maxAttempts: step.maxAttempts,
      timeoutSeconds: step.timeoutSeconds,
      webhooks: pipeline.stepWebhooks ?? [],
    },
    now,
    { payload: step.payload, payloadRef: step.payloadRef },
  );
  return { ...job, status: step.needs.length > 0 ? 'WAITING' : 'QUEUED', pipeline: { pipelineId: pipeline.pipelineId, step: step.name } };
}
