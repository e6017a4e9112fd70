import { ValidationError } from '@agent-runner/shared/domain/errors.ts';
import type { NewJob } from '@agent-runner/shared/domain/job.ts';
import type { Config } from '@agent-runner/shared/config/config.ts';
import { validateJobPayload } from '@agent-runner/shared/job-types/validate-job-payload.ts';
import { resolveIsolation } from '@agent-runner/shared/job-types/isolation.ts';
import { fieldErrors, REQUIRED_WHEN_MISSING, summarize } from '@agent-runner/shared/validation/field-errors.ts';
import { SubmitJobRequestSchema } from '../schemas/submit-job-request.ts';

/**
 * A POST /jobs body as a NewJob, or ValidationError: the body's shape first, then the job type,
 * then the payload against that type's schema — so an unknown type or a bad payload is refused
 * here, at submit time, rather than failing a worker later.
 */
export function parseSubmission(body: unknown, config: Config): NewJob {
  const { defaults } = config;
  const parsed = SubmitJobRequestSchema.safeParse(body, REQUIRED_WHEN_MISSING);
  if (!parsed.success) {
    const errors = fieldErrors(parsed.error.issues);
    throw new ValidationError(`the request body is not a valid job submission: ${summarize(errors)}`, {
      problem: 'invalid-request',
      errors,
    });
  }
  const request = parsed.data;
  // The job type, then its payload: checked as every submission is, POST /jobs or a running job's.
  const jobType = validateJobPayload(request.job_type, request.payload, config);
  return {
    jobType,
    // As submitted, not as parsed: the worker parses it again with the same schema.
    payload: request.payload,
    priority: request.priority ?? 'normal',
    tenant: request.tenant ?? defaults.tenant,
    orderingKey: request.ordering_key ?? null,
    isolation: resolveIsolation(jobType, request.isolation, config),
    maxAttempts: request.max_attempts ?? defaults.maxAttempts,
    timeoutSeconds: request.timeout_seconds ?? defaults.timeoutSeconds,
  };
}
