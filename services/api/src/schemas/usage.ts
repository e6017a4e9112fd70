import { z } from 'zod';
import { USAGE_GROUPINGS } from '@agent-runner/shared/jobs/usage-tally.ts';

/** The longest window GET /usage sums over: a month of records, read in one request. */
export const MAX_USAGE_WINDOW_DAYS = 31;
export const DEFAULT_USAGE_WINDOW_HOURS = 24;

const count = z.int().min(0);

export const UsageTotalsSchema = z
  .object({
    calls: count.describe('Model calls that completed.'),
    input_tokens: count,
    output_tokens: count,
    cache_write_tokens: count,
    cache_read_tokens: count,
    cost_usd: z.number().min(0).describe('At the prices configured when each call was made (AGENT_RUNNER_MODEL_PRICES).'),
  })
  .meta({ id: 'UsageTotals' });

export const JobUsageSchema = UsageTotalsSchema.extend({
  by_model: z.record(z.string(), UsageTotalsSchema),
  compute_seconds: count.optional().describe("Workers' billed seconds (Fargate: from the image pull, at least a minute), once priced."),
  compute_cost_usd: z
    .number()
    .min(0)
    .optional()
    .describe('Those seconds at AGENT_RUNNER_FARGATE_PRICE_VCPU_HOUR / _GB_HOUR times the worker task size; `cost_usd` is Claude alone.'),
})
  .describe(
    'Claude usage (and priced worker compute) over every attempt whose worker recorded it (a worker that vanished records none); null until one did.',
  )
  .meta({ id: 'JobUsage' });

/** The query of GET /usage. Parameters not named here are ignored. */
export const UsageQuerySchema = z
  .object({
    from: z.iso.datetime({ offset: true }).optional().describe(`Default: ${DEFAULT_USAGE_WINDOW_HOURS} hours before \`to\`.`),
    to: z.iso.datetime({ offset: true }).optional().describe('Default: now. Exclusive.'),
    group_by: z.enum(USAGE_GROUPINGS).default('job_type'),
    tenant: z
      .string()
      .min(1)
      .max(128)
      .optional()
      .describe("Only this tenant's jobs. A non-admin API key sees only its own tenant's anyway."),
  })
  .meta({ id: 'UsageQuery' });

const ComputeTotalsShape = {
  compute_seconds: count.describe("Workers' billed seconds."),
  compute_cost_usd: z.number().min(0).describe('What those seconds cost (Fargate prices); grouped by model, only in the total.'),
  total_cost_usd: z.number().min(0).describe('Claude plus compute.'),
};

const UsageGroupSchema = UsageTotalsSchema.extend({
  key: z.string().describe('The tenant, job type or model.'),
  jobs: count.describe('Jobs in the group with recorded usage (a model call, or priced compute).'),
  ...ComputeTotalsShape,
});

export const UsageReportSchema = z
  .object({
    from: z.iso.datetime(),
    to: z.iso.datetime(),
    group_by: z.enum(USAGE_GROUPINGS),
    groups: z.array(UsageGroupSchema).describe('Most expensive first (Claude plus compute).'),
    total: UsageTotalsSchema.extend({ jobs: count, ...ComputeTotalsShape }),
    truncated: z.boolean().describe('True when the window held more jobs than one report reads: the sums cover the oldest of them.'),
  })
  .describe('Usage of the jobs created in [from, to), by creation time: a job created earlier that ran in the window is not in it.')
  .meta({ id: 'UsageReport' });

export type UsageReportView = z.output<typeof UsageReportSchema>;
