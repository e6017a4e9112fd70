import type { Job } from '@agent-runner/shared/domain/job.ts';
import type { Pipeline } from '@agent-runner/shared/domain/pipeline.ts';
import { toPipelineView as toSharedPipelineView } from '@agent-runner/shared/pipelines/pipeline-view.ts';
import type { PipelineView } from '../schemas/pipeline-view.ts';

/** Built in shared/ (the dispatcher sends it in webhooks); typed here against the schema that documents it. */
export function toPipelineView(pipeline: Pipeline, jobs: ReadonlyMap<string, Job>): PipelineView {
  return toSharedPipelineView(pipeline, jobs);
}
