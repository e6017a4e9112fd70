import { ValidationError } from '@agent-runner/shared/domain/errors.ts';
import type { Isolation, JsonValue, NewJob, Priority } from '@agent-runner/shared/domain/job.ts';
import type { Config } from '@agent-runner/shared/config/config.ts';
import { validateJobPayload } from '@agent-runner/shared/job-types/validate-job-payload.ts';
import { resolveIsolation } from '@agent-runner/shared/job-types/isolation.ts';
import { fieldErrors, REQUIRED_WHEN_MISSING, summarize } from '@agent-runner/shared/validation/field-errors.ts';
import { assertWebhookUrl } from '@agent-runner/shared/webhooks/webhook-url.ts';
import type { JobWebhook } from '@agent-runner/shared/webhooks/job-webhook-targets.ts';
import { SubmitJobRequestSchema } from '../schemas/submit-job-request.ts';

/** A valid submission: the job, and its own webhook (whose host is checked by the caller, which may wait on DNS). */
export type ParsedSubmission = NewJob & { webhook: JobWebhook | null };

/**
 * A POST /jobs body as a NewJob, or ValidationError: the body's shape first, then the job type,
 * then the payload against that type's schema — so an unknown type or a bad payload is refused
 * here, at submit time, rather than failing a worker later.
 */
export function parseSubmission(body: unknown, config: Config): ParsedSubmission {
  const parsed = SubmitJobRequestSchema.safeParse(body, REQUIRED_WHEN_MISSING);
  if (!parsed.success) {
    const errors = fieldErrors(parsed.error.issues);
    throw new ValidationError(`the request body is not a valid job submission: ${summarize(errors)}`, {
      problem: 'invalid-request',
      errors,
    });
  }
  const request = parsed.data;
  const job = jobFromFields(request, config);
  if (request.webhook) assertWebhookUrl(request.webhook.url, config.webhooks, 'webhook.url');
  return {
    ...job,
    tenant: request.tenant ?? config.defaults.tenant,
    webhook: request.webhook ? { url: request.webhook.url, events: request.webhook.events } : null,
  };
}

/** A job submission's fields, already in shape (POST /jobs, a `then` job, a pipeline step). */
export interface JobFields {
  job_type: string;
  payload: JsonValue;
  priority?: Priority | undefined;
  ordering_key?: string | null | undefined;
  max_attempts?: number | undefined;
  timeout_seconds?: number | undefined;
  /** POST /jobs only; a pipeline's steps take their type's default. */
  isolation?: Isolation | undefined;
}

/**
 * The job the fields describe, its type and payload checked (ValidationError otherwise). `deferred`:
 * payload errors at paths it accepts are not errors yet (a pipeline step's `$from` values, checked
 * again once resolved); `at` prefixes every error's path (`steps[2]`).
 */
export function jobFromFields(
  request: JobFields,
  config: Config,
  options: { deferred?: (path: string) => boolean; at?: string } = {},
): Omit<NewJob, 'tenant'> {
  const { defaults } = config;
  let jobType: string;
  try {
    // The job type, then its payload: checked as every submission is, POST /jobs or a running job's.
    jobType = validateJobPayload(request.job_type, request.payload, config);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const remaining = error.problem === 'invalid-payload' ? error.errors.filter((e) => !options.deferred?.(e.path)) : error.errors;
    if (remaining.length > 0) {
      if (options.at === undefined && remaining.length === error.errors.length) throw error;
      const errors = remaining.map((e) => ({ path: options.at === undefined ? e.path : `${options.at}.${e.path}`, message: e.message }));
      const where = options.at === undefined ? '' : `${options.at}: `;
      const detail =
        error.problem === 'invalid-payload'
          ? `the payload is not valid for job type "${request.job_type}": ${summarize(errors)}`
          : error.message;
      throw new ValidationError(`${where}${detail}`, {
        problem: error.problem,
        errors,
      });
    }
    jobType = request.job_type;
  }
  return {
    jobType,
    // As submitted, not as parsed: the worker parses it again with the same schema.
    payload: request.payload,
    priority: request.priority ?? 'normal',
    orderingKey: request.ordering_key ?? null,
    isolation: resolveIsolation(jobType, request.isolation, config),
    maxAttempts: request.max_attempts ?? defaults.maxAttempts,
    timeoutSeconds: request.timeout_seconds ?? defaults.timeoutSeconds,
  };
}
