import { ValidationError } from '@agent-runner/shared/domain/errors.ts';
import type { JobListQuery } from '@agent-runner/shared/ports/job-store.ts';
import { ListJobsQuerySchema } from '../schemas/list-jobs-query.ts';
import { fieldErrors, REQUIRED_WHEN_MISSING, summarize } from '@agent-runner/shared/validation/field-errors.ts';

/** GET /jobs query parameters as a store query, or ValidationError naming each bad parameter. */
export function parseListQuery(query: Record<string, unknown>): JobListQuery {
  const parsed = ListJobsQuerySchema.safeParse(query, REQUIRED_WHEN_MISSING);
  if (!parsed.success) {
    const errors = fieldErrors(parsed.error.issues);
    throw new ValidationError(`invalid query parameters: ${summarize(errors)}`, { problem: 'invalid-query', errors });
  }
  const { status, job_type: jobType, tenant, limit, cursor } = parsed.data;
  return {
    limit,
    ...(status !== undefined && { status }),
    ...(jobType !== undefined && { jobType }),
    ...(tenant !== undefined && { tenant }),
    ...(cursor !== undefined && { cursor }),
  };
}
