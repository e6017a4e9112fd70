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
})
  .describe(
    'Claude usage over every attempt whose worker recorded it (a worker that vanished records none); null until a model call completed.',
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

const UsageGroupSchema = UsageTotalsSchema.extend({
  key: z.string().describe('The tenant, job type or model.'),
  jobs: count.describe('Jobs in the group that made at least one model call.'),
});

export const UsageReportSchema = z
  .object({
    from: z.iso.datetime(),
    to: z.iso.datetime(),
    group_by: z.enum(USAGE_GROUPINGS),
    groups: z.array(UsageGroupSchema).describe('Most expensive first.'),
    total: UsageTotalsSchema.extend({ jobs: count }),
    truncated: z.boolean().describe('True when the window held more jobs than one report reads: the sums cover the oldest of them.'),
  })
  .describe('Usage of the jobs created in [from, to), by creation time: a job created earlier that ran in the window is not in it.')
  .meta({ id: 'UsageReport' });

export type UsageReportView = z.output<typeof UsageReportSchema>;
