import type { Job } from '../domain/job.ts';
import type { JobStatus } from '../domain/job-status.ts';
import { pipelinePath, type Pipeline, type PipelineStatus } from '../domain/pipeline.ts';
import { jobPath, type JobErrorView } from '../jobs/job-view.ts';

/**
 * A pipeline as the outside world sees it: GET /pipelines/{id}'s body (services/api/src/schemas/
 * pipeline-view.ts describes it to clients) and the `data` of a pipeline's webhook delivery.
 */
export interface PipelineStepView {
  name: string;
  job_id: string;
  job_type: string;
  needs: string[];
  continue_on_failure: boolean;
  status: JobStatus;
  error: JobErrorView | null;
  cost_usd: number | null;
  links: { job: string };
}

export interface PipelineView {
  pipeline_id: string;
  status: PipelineStatus;
  tenant: string;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
  cost_usd: number;
  steps: PipelineStepView[];
  links: { self: string; cancel: string; events: string };
}

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
    } satisfies PipelineStepView;
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
