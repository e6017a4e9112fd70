import type { Job } from '@agent-runner/shared/domain/job.ts';
import { pipelinePath, type Pipeline } from '@agent-runner/shared/domain/pipeline.ts';
import type { PipelineView } from '../schemas/pipeline-view.ts';
import { jobPath } from './job-view.ts';

/** The pipeline with each step's job as it is now; a step whose job is not created yet shows WAITING. */
export function toPipelineView(pipeline: Pipeline, jobs: ReadonlyMap<string, Job>): PipelineView {
  const self = pipelinePath(pipeline.pipelineId);
  const steps = pipeline.steps.map((step) => {
    const job = jobs.get(step.name);
    return {
      name: step.name,
      job_id: step.jobId,
      job_type: step.jobType,
      needs: step.needs,
      continue_on_failure: step.continueOnFailure,
      status: job?.status ?? 'WAITING',
      error: job?.error ? { kind: job.error.kind, message: job.error.message, handler: job.error.handler } : null,
      cost_usd: job?.usage?.cost_usd ?? null,
      links: { job: jobPath(step.jobId) },
    } satisfies PipelineView['steps'][number];
  });
  return {
    pipeline_id: pipeline.pipelineId,
    status: pipeline.status,
    tenant: pipeline.tenant,
    created_at: pipeline.createdAt,
    updated_at: pipeline.updatedAt,
    finished_at: pipeline.finishedAt,
    cost_usd: steps.reduce((sum, s) => sum + (s.cost_usd ?? 0), 0),
    steps,
    links: { self, cancel: `${self}/cancel`, events: `${self}/events` },
  };
}
