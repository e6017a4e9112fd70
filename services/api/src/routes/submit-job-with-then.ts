import type { Job, NewJob } from '@agent-runner/shared/domain/job.ts';
import type { IdempotentSubmission } from '@agent-runner/shared/jobs/submit-job-once.ts';
import { recordPipeline, type NewPipeline } from '@agent-runner/shared/pipelines/record-pipeline.ts';
import { recordPipelineOnce } from '@agent-runner/shared/pipelines/record-pipeline-once.ts';
import { pipelineWebhookTargets } from '@agent-runner/shared/webhooks/job-webhook-targets.ts';
import type { ApiDeps } from '../api-deps.ts';
import type { SubmitJobRequest } from '../schemas/submit-job-request.ts';
import type { PipelineStepRequest } from '../schemas/submit-pipeline-request.ts';
import { parseSteps } from '../validation/parse-pipeline.ts';
import { pipelineDepsOf } from './pipelines.ts';

export type ThenRequest = Pick<SubmitJobRequest, 'then'> & Omit<SubmitJobRequest, 'then' | 'tenant'>;

/** The step names `then` gives: the submitted job, then each job after it. */
export const THEN_FIRST_STEP = 'job';
export const thenStepName = (i: number) => `then-${i + 1}`;

/**
 * POST /jobs with `then`: a pipeline whose steps are the submitted job and each `then` job, each
 * needing the one before. Answers with the first step's job (its view names the pipeline).
 * `input` is the submitted job as POST /jobs parsed and checked it (its `webhooks`: the body's
 * `webhook` and the tenant's endpoints); the body's shape is checked.
 *
 * The body's `webhook` applies to every job of the chain, each reporting the job events it asked
 * for: it is a job webhook (job.* events) on a request about jobs, and a receiver then hears of a
 * failure wherever it happens and of the last job's success (the chain's). Applied to the first
 * job only, a chain whose later job failed would report nothing; a pipeline-end webhook would need
 * pipeline.* events, which POST /pipelines offers.
 *
 * With an Idempotency-Key (`idempotency`), the pipeline is recorded once per key as POST /pipelines
 * records it (record-pipeline-once.ts); a repeat answers its first job with `replayed`.
 */
export async function submitJobWithThen(
  deps: ApiDeps & Required<Pick<ApiDeps, 'tenantEndpoints'>>,
  body: ThenRequest,
  input: NewJob,
  idempotency: IdempotentSubmission | null,
): Promise<{ job: Job; replayed: boolean }> {
  const { then = [], webhook: _ownedByInput, ...first } = body;
  const requests: PipelineStepRequest[] = [
    { ...first, name: THEN_FIRST_STEP },
    ...then.map((job, i) => ({ ...job, name: thenStepName(i), needs: [i === 0 ? THEN_FIRST_STEP : thenStepName(i - 1)] })),
  ];
  const steps = parseSteps(requests, deps.config);
  // The tenant's endpoints hear of each job (as of a job submitted alone) and of the chain's end.
  const endpoints = await deps.tenantEndpoints.list(input.tenant);
  const pipelineInput: NewPipeline = {
    tenant: input.tenant,
    keyId: input.keyId ?? null,
    steps,
    webhooks: pipelineWebhookTargets([], endpoints),
    stepWebhooks: input.webhooks ?? [],
  };
  const pipelineDeps = pipelineDepsOf(deps);
  const { pipeline, replayed } =
    idempotency === null
      ? { pipeline: await recordPipeline(pipelineDeps, pipelineInput), replayed: false }
      : await recordPipelineOnce(pipelineDeps, pipelineInput, idempotency);
  // Both paths created the step jobs (a replay creates those a crash left uncreated).
  const job = await deps.backend.jobs.get(pipeline.steps[0]!.jobId);
  if (!job) throw new Error(`pipeline ${pipeline.pipelineId} was recorded but its first step's job is missing`);
  return { job, replayed };
}
