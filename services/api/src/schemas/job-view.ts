import { z } from 'zod';
import { JobWebhookViewSchema } from './job-webhook.ts';
import { ISOLATIONS, PRIORITIES } from '@agent-runner/shared/domain/job.ts';
import { JOB_STATUSES } from '@agent-runner/shared/domain/job-status.ts';
import { JobUsageSchema } from './usage.ts';
import { JsonValueSchema } from './json-value.ts';

const timestamp = z.iso.datetime();

export const JobErrorViewSchema = z
  .object({
    kind: z.enum(['retryable', 'fatal', 'lost', 'timeout', 'cancelled', 'skipped']),
    message: z.string(),
    handler: z.string().nullable(),
  })
  .meta({ id: 'JobError' });

export const AttemptViewSchema = z
  .object({
    number: z.int().min(1),
    dispatched_at: timestamp,
    worker_ref: z
      .string()
      .nullable()
      .describe(
        'ECS task ARN, `pid:<n>@<host>` for a local worker, `pool:<pid>:<job id>:<attempt>` for a local pool worker, or `sqspool:<queue>:<job id>:<attempt>` for an attempt handed to the pool queue on AWS.',
      ),
    launched_at: timestamp.nullable(),
    started_at: timestamp.nullable(),
    ended_at: timestamp.nullable(),
    outcome: z.enum(JOB_STATUSES).nullable(),
    error: JobErrorViewSchema.nullable(),
    log_stream: z
      .object({ group: z.string(), stream: z.string(), region: z.string(), console_url: z.string() })
      .nullable()
      .describe("The CloudWatch Logs stream of the attempt's ECS task (awslogs), when known; `agent-runner logs` reads it."),
    task_arn: z
      .string()
      .nullable()
      .describe('The ECS task that started a pooled attempt on AWS (its worker ref names the pool queue); null otherwise.'),
  })
  .meta({ id: 'Attempt' });

/** A job as the API shows it. The payload is not echoed: it can be large, and it can be sensitive. */
export const JobViewSchema = z
  .object({
    job_id: z.string(),
    job_type: z.string(),
    status: z.enum(JOB_STATUSES),
    priority: z.enum(PRIORITIES),
    tenant: z.string(),
    key_id: z
      .string()
      .nullable()
      .describe("The id of the API key that submitted the job (a child job: its parent's); null with auth off. Never the key."),
    ordering_key: z.string().nullable(),
    isolation: z.enum(ISOLATIONS).describe("How its attempts run: a worker of its own (`one_shot`) or a warm pool's (`pooled`)."),
    created_at: timestamp,
    updated_at: timestamp,
    started_at: timestamp.nullable(),
    finished_at: timestamp.nullable(),
    attempt: z.int().min(0).describe('The current (or last) attempt; 0 before the first.'),
    max_attempts: z.int(),
    timeout_seconds: z.int(),
    attempts: z.array(AttemptViewSchema),
    error: JobErrorViewSchema.nullable(),
    usage: JobUsageSchema.nullable(),
    cost_usd: z
      .number()
      .nullable()
      .describe(
        "What the job's model calls cost, USD: `usage.cost_usd`, or for a record written before usage was recorded, the `cost_usd` its result reports. null: none recorded.",
      ),
    compute_cost_usd: z
      .number()
      .nullable()
      .describe(
        "What the job's workers' time cost, USD (`usage.compute_cost_usd`): Fargate seconds at the configured prices. null: not priced.",
      ),
    rate_limits: z
      .record(z.string(), z.string())
      .nullable()
      .describe('The `anthropic-ratelimit-*` headers (without the prefix) and `retry-after` of the last Claude response a worker saw.'),
    webhook: JobWebhookViewSchema.nullable().describe("The job's own `webhook`, as submitted (its tenant's endpoints are not listed)."),
    result: JsonValueSchema.optional().describe("The handler's result: present on GET /jobs/{id} once SUCCEEDED."),
    pipeline: z
      .object({ pipeline_id: z.string(), step: z.string(), link: z.string() })
      .optional()
      .describe('Present when the job is a step of a pipeline: which, and its URL path.'),
    links: z.object({ self: z.string(), cancel: z.string(), events: z.string() }),
  })
  .meta({ id: 'Job' });

export type JobView = z.output<typeof JobViewSchema>;

export const JobListSchema = z
  .object({
    jobs: z.array(JobViewSchema).describe('Newest first. Entries omit `result`: GET the job for it.'),
    next_cursor: z.string().nullable(),
  })
  .meta({ id: 'JobList' });

export type JobList = z.output<typeof JobListSchema>;
