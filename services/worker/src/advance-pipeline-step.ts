import type { Job } from '@agent-runner/shared/domain/job.ts';
import type { Logger } from '@agent-runner/shared/observability/logger.ts';
import type { Backend } from '@agent-runner/shared/compose/backend.ts';
import type { Config } from '@agent-runner/shared/config/config.ts';
import type { Clock } from '@agent-runner/shared/domain/ids.ts';

/**
 * After this worker ended its job: a pipeline step moves its pipeline on (releasing the steps
 * that needed it). The pipeline code is imported only then, so a job that is no step does not
 * pay for loading it at start-up.
 */
export async function advancePipelineOf(deps: { backend: Backend; clock: Clock; config: Config }, job: Job, log: Logger): Promise<void> {
  if (!job.pipeline) return;
  const { advanceIfStepEnded } = await import('@agent-runner/shared/pipelines/step-ended.ts');
  const { backend } = deps;
  await advanceIfStepEnded(
    {
      jobs: backend.jobs,
      pipelines: backend.pipelines,
      queue: backend.queue,
      blobs: backend.blobs,
      clock: deps.clock,
      config: deps.config,
    },
    job,
    log,
  );
}
