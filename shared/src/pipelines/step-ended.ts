import type { Job } from '../domain/job.ts';
import { isTerminal } from '../domain/job-status.ts';
import type { Logger } from '../observability/logger.ts';
import { advancePipeline } from './advance-pipeline.ts';
import type { PipelineDeps } from './pipeline-deps.ts';

/**
 * Called by whoever just ended a job (worker, reaper, launcher, cancel): when it is a pipeline
 * step, moves its pipeline on now. Best effort: a failure (or a crash before this runs) is made
 * good by the dispatcher's pipeline sweep, which advances every RUNNING pipeline.
 */
export async function advanceIfStepEnded(deps: PipelineDeps, job: Job, log: Logger): Promise<void> {
  if (!job.pipeline || !isTerminal(job.status)) return;
  try {
    await advancePipeline(deps, job.pipeline.pipelineId);
  } catch (error) {
    log.warn({ err: error, pipeline_id: job.pipeline.pipelineId, job_id: job.jobId }, 'could not advance the pipeline; the sweep will');
  }
}
