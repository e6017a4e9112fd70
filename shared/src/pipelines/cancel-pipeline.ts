import { ConflictError } from '../domain/errors.ts';
import type { Pipeline } from '../domain/pipeline.ts';
import { advancePipeline } from './advance-pipeline.ts';
import { materialiseSteps } from './materialise-steps.ts';
import type { PipelineDeps } from './pipeline-deps.ts';

/**
 * Cancels what has not finished: marks the pipeline (a conditional write, so the mark survives a
 * crash and the sweep completes it), then advancing it cancels every step job not yet ended —
 * waiting and queued ones end CANCELLED at once, running ones through the job cancel path (the
 * record says CANCELLED; the dispatcher stops the worker). Null when it had already ended.
 */
export async function cancelPipeline(deps: PipelineDeps, pipeline: Pipeline): Promise<Pipeline | null> {
  let current = pipeline;
  if (current.status !== 'RUNNING') return null;
  for (let tries = 0; !current.cancelRequested; tries++) {
    if (current.status !== 'RUNNING') return null;
    // Its steps exist before it is marked, so no QUEUED step is created after the cancel.
    current = await materialiseSteps(deps, current);
    try {
      current = await deps.pipelines.update(
        current.pipelineId,
        { status: ['RUNNING'], version: current.version },
        { cancelRequested: true },
        deps.clock.now(),
      );
    } catch (error) {
      if (!(error instanceof ConflictError) || tries >= 8) throw error;
      current = (await deps.pipelines.get(current.pipelineId)) ?? current;
    }
  }
  return (await advancePipeline(deps, current.pipelineId)) ?? current;
}
