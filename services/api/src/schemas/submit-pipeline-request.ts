import { z } from 'zod';
import { MAX_PIPELINE_STEPS } from '@agent-runner/shared/domain/pipeline.ts';
import { STEP_NAME } from '@agent-runner/shared/domain/pipeline-graph.ts';
import { PIPELINE_WEBHOOK_EVENTS } from '@agent-runner/shared/domain/webhook-target.ts';
import { MAX_WEBHOOK_URL_LENGTH } from '@agent-runner/shared/webhooks/webhook-url.ts';
import { routingKey, STEP_JOB_FIELDS } from './submit-job-request.ts';

/** One step: a job submission (its tenant is the pipeline's), its name, and the steps it needs. */
export const PipelineStepRequestSchema = z
  .strictObject({
    name: z.string().regex(STEP_NAME, { error: '1 to 64 letters, digits, "_" or "-"' }).describe('Unique within the pipeline.'),
    needs: z
      .array(z.string())
      .max(MAX_PIPELINE_STEPS)
      .optional()
      .describe('Steps that must SUCCEED before this one is queued. Default: none (queued at once).'),
    continue_on_failure: z
      .boolean()
      .optional()
      .describe('Run even when a needed step failed, timed out, was cancelled or skipped (default false: end SKIPPED).'),
    ...STEP_JOB_FIELDS,
  })
  .describe(
    'A job submission plus its place in the graph. Anywhere in `payload`, `{"$from": "<step it needs>", "pointer": "<JSON Pointer>"}` ' +
      "stands for that value of the needed step's result, filled in when this step is queued.",
  )
  .meta({ id: 'PipelineStepRequest' });

export const PipelineWebhookSchema = z
  .strictObject({
    url: z
      .string()
      .min(1)
      .max(MAX_WEBHOOK_URL_LENGTH)
      .describe(
        "Where the end of the pipeline is reported: checked as a job's `webhook.url` is (https unless AGENT_RUNNER_WEBHOOK_ALLOW_HTTP=true; a public host unless AGENT_RUNNER_WEBHOOK_ALLOW_PRIVATE=true).",
      ),
    events: z.array(z.enum(PIPELINE_WEBHOOK_EVENTS)).min(1).optional().describe('Default: both. A cancelled pipeline reports neither.'),
  })
  .meta({ id: 'PipelineWebhook' });

/** The body of POST /pipelines. */
export const SubmitPipelineRequestSchema = z
  .strictObject({
    steps: z.array(PipelineStepRequestSchema).min(1).max(MAX_PIPELINE_STEPS).describe('A DAG: no cycles, every need names a step.'),
    tenant: routingKey.optional().describe("Default: the API key's tenant (AGENT_RUNNER_DEFAULT_TENANT with auth off)."),
    webhook: PipelineWebhookSchema.optional(),
  })
  .meta({ id: 'SubmitPipelineRequest' });

export type SubmitPipelineRequest = z.output<typeof SubmitPipelineRequestSchema>;
export type PipelineStepRequest = z.output<typeof PipelineStepRequestSchema>;
