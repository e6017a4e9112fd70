import type { Config } from '../config/config.ts';
import { ValidationError } from '../domain/errors.ts';
import type { JsonValue } from '../domain/job.ts';
import { fieldErrors, REQUIRED_WHEN_MISSING, summarize } from '../validation/field-errors.ts';
import { isJobTypeName, JOB_TYPE_NAMES, JOB_TYPES, type JobTypeName } from './catalogue.ts';
import type { JobType } from './job-type.ts';

/**
 * A submission's job type and payload, checked as every submission is — by POST /jobs and by a
 * running job's submit_job tool alike: the type must be in the catalogue, the payload must fit its
 * schema and pass its configuration-dependent checks. Throws ValidationError (`unknown-job-type`
 * or `invalid-payload`) whose errors name their place in a submission (`job_type`, `payload.…`).
 * Returns the type's name; the payload is kept as submitted (the worker parses it again).
 */
export function validateJobPayload(jobType: string, payload: JsonValue, config: Config): JobTypeName {
  if (!isJobTypeName(jobType)) {
    const known = JOB_TYPE_NAMES.join(', ');
    throw new ValidationError(`unknown job type "${jobType}"; known job types: ${known}`, {
      problem: 'unknown-job-type',
      errors: [{ path: 'job_type', message: `not one of: ${known}` }],
    });
  }
  // Widened: each type's check takes its own payload, which its own schema has just produced.
  const spec: JobType<string, unknown> = JOB_TYPES[jobType];
  const parsed = spec.payloadSchema.safeParse(payload, REQUIRED_WHEN_MISSING);
  const errors = parsed.success
    ? (spec.checkPayload?.(parsed.data, config) ?? []).map((p) => ({ path: p.path ? `payload.${p.path}` : 'payload', message: p.message }))
    : fieldErrors(parsed.error.issues, 'payload');
  if (errors.length > 0) {
    throw new ValidationError(`the payload is not valid for job type "${jobType}": ${summarize(errors)}`, {
      problem: 'invalid-payload',
      errors,
    });
  }
  return jobType;
}
