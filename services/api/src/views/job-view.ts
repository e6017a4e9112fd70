import type { Attempt, Job, JobError, JsonObject, JsonValue } from '@agent-runner/shared/domain/job.ts';
import type { JobView } from '../schemas/job-view.ts';

export function jobPath(jobId: string): string {
  return `/jobs/${encodeURIComponent(jobId)}`;
}

/** The job as the API shows it; `result` is passed only where the view should carry it. */
export function toJobView(job: Job, result?: JsonValue): JobView {
  const self = jobPath(job.jobId);
  return {
    job_id: job.jobId,
    job_type: job.jobType,
    status: job.status,
    priority: job.priority,
    tenant: job.tenant,
    key_id: job.keyId,
    ordering_key: job.orderingKey,
    isolation: job.isolation,
    created_at: job.createdAt,
    updated_at: job.updatedAt,
    started_at: job.startedAt,
    finished_at: job.finishedAt,
    attempt: job.attempt,
    max_attempts: job.maxAttempts,
    timeout_seconds: job.timeoutSeconds,
    attempts: job.attempts.map(toAttemptView),
    error: job.error && toErrorView(job.error),
    usage: job.usage,
    cost_usd: costUsdOf(job),
    rate_limits: job.rateLimits && toRateLimitsView(job.rateLimits),
    ...(result !== undefined && { result }),
    links: { self, cancel: `${self}/cancel`, events: `${self}/events` },
  };
}

/**
 * The job's cost, on list entries too (which carry no result): the recorded usage, else — for a
 * record from before usage was recorded — what its result says it cost, when the result is on the
 * record (small results are). One number, so the dashboard's table and detail cannot disagree.
 */
function costUsdOf(job: Job): number | null {
  if (job.usage) return job.usage.cost_usd;
  const result = job.result;
  if (result === null || typeof result !== 'object' || Array.isArray(result)) return null;
  return typeof result.cost_usd === 'number' ? result.cost_usd : null;
}

function toAttemptView(attempt: Attempt): JobView['attempts'][number] {
  return {
    number: attempt.number,
    dispatched_at: attempt.dispatchedAt,
    worker_ref: attempt.workerRef,
    launched_at: attempt.launchedAt,
    started_at: attempt.startedAt,
    ended_at: attempt.endedAt,
    outcome: attempt.outcome,
    error: attempt.error && toErrorView(attempt.error),
  };
}

function toErrorView(error: JobError): NonNullable<JobView['error']> {
  return { kind: error.kind, message: error.message, handler: error.handler };
}

/** Header values are strings; the record keeps them as JSON, so anything else is shown as its JSON text. */
function toRateLimitsView(limits: JsonObject): Record<string, string> {
  return Object.fromEntries(
    Object.entries(limits).map(([name, value]) => [name, typeof value === 'string' ? value : JSON.stringify(value)]),
  );
}
