import type { Logger } from '@agent-runner/shared/observability/logger.ts';
import { advancePipeline } from '@agent-runner/shared/pipelines/advance-pipeline.ts';
import type { PipelineDeps } from '@agent-runner/shared/pipelines/pipeline-deps.ts';

const PAGE = 100;

/**
 * Advances every RUNNING pipeline (up to a page per sweep, oldest first): finishes creating the
 * steps of one whose recording was interrupted, releases steps whose needs ended while whoever
 * ended them crashed before advancing, completes an interrupted cancel, and ends pipelines whose
 * steps all ended. Each write is conditional, so this racing a worker's own advance is harmless.
 */
export async function sweepPipelines(deps: PipelineDeps, log: Logger): Promise<number> {
  let advanced = 0;
  for (const pipeline of await deps.pipelines.listRunning(PAGE)) {
    try {
      await advancePipeline(deps, pipeline.pipelineId);
      advanced++;
    } catch (error) {
      log.error({ err: error, pipeline_id: pipeline.pipelineId }, 'could not advance a pipeline');
    }
  }
  return advanced;
}
