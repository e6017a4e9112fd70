import { z } from 'zod';
import { ISOLATIONS, PRIORITIES } from '@agent-runner/shared/domain/job.ts';
import { JsonValueSchema } from './json-value.ts';
import { JobWebhookRequestSchema } from './job-webhook.ts';

/**
 * SQS MessageGroupId (which carries the ordering key on AWS): 1–128 characters, alphanumerics and
 * punctuation `!"#$%&'()*+,-./:;<=>?@[\]^_\`{|}~` (SendMessage API reference), i.e. printable ASCII
 * without the space. Tenants share the alphabet: they become concurrency-lease keys the same way.
 */
export const TENANT_NAME = /^[!-~]{1,128}$/;
const ROUTING_KEY = TENANT_NAME;
export const routingKey = z.string().regex(ROUTING_KEY, { error: '1 to 128 printable ASCII characters, no spaces' });

/** A job submission's own fields: POST /jobs without `then`, and each pipeline step's job. */
export const JOB_SUBMISSION_FIELDS = {
  job_type: z.string().min(1).max(128).describe('One of the registered job types, e.g. `echo`.'),
  payload: JsonValueSchema.describe("The job type's input, checked against its payload schema."),
  priority: z.enum(PRIORITIES).optional().describe('Default `normal`.'),
  ordering_key: routingKey.nullable().optional().describe('Jobs with the same key start in submission order, one at a time.'),
  tenant: routingKey.optional().describe('Default: AGENT_RUNNER_DEFAULT_TENANT.'),
  // Same bounds as AGENT_RUNNER_DEFAULT_MAX_ATTEMPTS and AGENT_RUNNER_DEFAULT_TIMEOUT_SECONDS.
  max_attempts: z.int().min(1).max(100).optional().describe('Default: AGENT_RUNNER_DEFAULT_MAX_ATTEMPTS.'),
  timeout_seconds: z
    .int()
    .min(1)
    .max(7 * 24 * 3600)
    .optional()
    .describe('Per attempt. Default: AGENT_RUNNER_DEFAULT_TIMEOUT_SECONDS.'),
};

/** A job submission's fields but its tenant: a pipeline's jobs all run as the pipeline's tenant. */
const { tenant: _tenant, ...STEP_JOB_FIELDS } = JOB_SUBMISSION_FIELDS;
export { STEP_JOB_FIELDS };

/** One job that runs after the submitted one (POST /jobs `then`). */
export const ThenJobSchema = z.strictObject(STEP_JOB_FIELDS).meta({ id: 'ThenJob' });

/** The body of POST /jobs. Unknown fields are refused, so a misspelt option is not silently ignored. */
export const SubmitJobRequestSchema = z
  .strictObject({
    ...JOB_SUBMISSION_FIELDS,
    // biome-ignore lint/suspicious/noThenProperty: the field's name is the API's (POST /jobs `then`); this object is never awaited.
    then: z
      .array(ThenJobSchema)
      .min(1)
      .max(99)
      .optional()
      .describe(
        'Jobs to run after this one, in order, each once the one before it SUCCEEDED: shorthand for a pipeline of steps ' +
          '`job`, `then-1`, `then-2`, … (a payload may take values from an earlier step with `{"$from": "job", "pointer": "/…"}`). ' +
          'The answer is this (first) job, with `pipeline` naming the pipeline. `webhook` then applies to every job of the ' +
          'chain (each reports the events asked for; a job SKIPPED after an earlier failure reports nothing), and an ' +
          'Idempotency-Key records the chain once.',
      ),
    isolation: z
      .enum(ISOLATIONS)
      .optional()
      .describe(
        "`one_shot`: a worker process of its own; `pooled`: a warm pool's long-lived worker (only for types that allow it). Default: `pooled` for the types in AGENT_RUNNER_POOLED_TYPES, else `one_shot`.",
      ),
    webhook: JobWebhookRequestSchema.optional().describe(
      "Where to report the job's end (signed; see README, Webhooks). With `then`, every job of the chain reports to it.",
    ),
  })
  .meta({ id: 'SubmitJobRequest' });

export type SubmitJobRequest = z.output<typeof SubmitJobRequestSchema>;
