import { z } from 'zod';

export const MAX_TIMESERIES_HOURS = 24;

/** The query of GET /stats/timeseries. */
export const TimeseriesQuerySchema = z
  .object({
    hours: z.coerce.number().int().min(1).max(MAX_TIMESERIES_HOURS).default(3).describe('How many hours back from now.'),
    tenant: z.string().min(1).max(128).optional().describe("Only this tenant's jobs (an admin's choice; other keys see their own)."),
  })
  .meta({ id: 'TimeseriesQuery' });

const count = z.int().min(0);
const usd = z.number().min(0);

export const TimeseriesSchema = z
  .object({
    from: z.iso.datetime().describe('The first minute (whole minutes).'),
    to: z.iso.datetime(),
    finished: z
      .array(z.object({ at: z.iso.datetime(), SUCCEEDED: count, FAILED: count, TIMED_OUT: count, CANCELLED: count }))
      .describe('Jobs that ended in each minute, by outcome; `at` is the minute’s start.'),
    queue_depth: z
      .array(z.object({ at: z.iso.datetime(), critical: count, high: count, normal: count, low: count }))
      .describe('Jobs waiting (QUEUED) at the end of each minute, by priority.'),
    spend: z
      .array(z.object({ at: z.iso.datetime(), claude_usd: usd, compute_usd: usd }))
      .describe("Recorded spend of the jobs that ended in each UTC hour: Claude, and the workers' compute."),
    jobs_read: count.describe(
      "Job records charted: the tenant's (all, for an admin without `tenant`) created in the window or the hour before it.",
    ),
    truncated: z.boolean().describe('True when there were more records than one request reads.'),
  })
  .describe(
    'The last hours, computed from the job records: a job created more than an hour before the window is not in it. Cached for 30 s per API instance.',
  )
  .meta({ id: 'Timeseries' });

export type TimeseriesView = z.output<typeof TimeseriesSchema>;
