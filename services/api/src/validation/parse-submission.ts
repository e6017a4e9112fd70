import { ValidationError } from '@agent-runner/shared/domain/errors.ts';
import type { NewJob } from '@agent-runner/shared/domain/job.ts';
import type { Config } from '@agent-runner/shared/config/config.ts';
import { findHandler, jobTypes } from '@agent-runner/worker/handlers/registry.ts';
import { SubmitJobRequestSchema } from '../schemas/submit-job-request.ts';
import { fieldErrors, REQUIRED_WHEN_MISSING, summarize } from './field-errors.ts';

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
  const handler = findHandler(request.job_type);
  if (!handler) {
    const known = jobTypes().join(', ');
    throw new ValidationError(`unknown job_type "${request.job_type}"; known job types: ${known}`, {
      problem: 'unknown-job-type',
      errors: [{ path: 'job_type', message: `not one of: ${known}` }],
    });
  }
  const payload = handler.payloadSchema.safeParse(request.payload, REQUIRED_WHEN_MISSING);
  if (!payload.success) {
    const errors = fieldErrors(payload.error.issues, 'payload');
    throw new ValidationError(`the payload is not valid for job type "${request.job_type}": ${summarize(errors)}`, {
      problem: 'invalid-payload',
      errors,
    });
  }
  // Checks that depend on the deployment's configuration (e.g. the allowed models).
  const problems = handler.validateSubmission?.(request.payload, config) ?? [];
  if (problems.length > 0) {
    const errors = problems.map((p) => ({ path: p.path ? `payload.${p.path}` : 'payload', message: p.message }));
    throw new ValidationError(`the payload is not valid for job type "${request.job_type}": ${summarize(errors)}`, {
      problem: 'invalid-payload',
      errors,
    });
  }
  return {
    jobType: request.job_type,
    // As submitted, not as parsed: the worker parses it again with the same schema.
    payload: request.payload,
    priority: request.priority ?? 'normal',
    tenant: request.tenant ?? defaults.tenant,
    orderingKey: request.ordering_key ?? null,
    maxAttempts: request.max_attempts ?? defaults.maxAttempts,
    timeoutSeconds: request.timeout_seconds ?? defaults.timeoutSeconds,
  };
}
