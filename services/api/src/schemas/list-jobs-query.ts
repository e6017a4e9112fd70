import { z } from 'zod';
import { JOB_STATUSES } from '@agent-runner/shared/domain/job-status.ts';

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

/** The query of GET /jobs. Parameters not named here are ignored. */
export const ListJobsQuerySchema = z
  .object({
    status: z.enum(JOB_STATUSES).optional(),
    job_type: z.string().min(1).max(128).optional(),
    tenant: z
      .string()
      .min(1)
      .max(128)
      .optional()
      .describe("Only this tenant's jobs. A non-admin API key sees only its own tenant's anyway."),
    limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
    cursor: z.string().min(1).max(2048).optional().describe('`next_cursor` of the previous page.'),
  })
  .meta({ id: 'ListJobsQuery' });

export type ListJobsQuery = z.output<typeof ListJobsQuerySchema>;
