import type { Attempt, Isolation, Job, JobError, JsonObject, JsonValue, Priority } from '../domain/job.ts';
import type { JobUsage } from '../domain/job-usage.ts';
import type { JobStatus } from '../domain/job-status.ts';
import type { JobWebhookEvent } from '../domain/webhook-target.ts';
import { pipelinePath } from '../domain/pipeline.ts';
import { logStreamConsoleUrl } from '../observability/log-stream-console-url.ts';
import { isJobWebhookEvent } from '../webhooks/job-webhook-targets.ts';

/**
 * A job as the outside world sees it: GET /jobs/{id}'s body (services/api/src/schemas/job-view.ts
 * describes it to clients), and the `data` of a webhook delivery. Here, not in the API, because the
 * dispatcher builds it too.
 */
export interface JobErrorView {
  kind: JobError['kind'];
  message: string;
  handler: string | null;
}

export interface AttemptView {
  number: number;
  dispatched_at: string;
  worker_ref: string | null;
  launched_at: string | null;
  started_at: string | null;
  ended_at: string | null;
  outcome: JobStatus | null;
  error: JobErrorView | null;
  log_stream: { group: string; stream: string; region: string; console_url: string } | null;
  task_arn: string | null;
}

export interface JobView {
  job_id: string;
  job_type: string;
  status: JobStatus;
  priority: Priority;
  tenant: string;
  key_id: string | null;
  ordering_key: string | null;
  isolation: Isolation;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  finished_at: string | null;
  attempt: number;
  max_attempts: number;
  timeout_seconds: number;
  attempts: AttemptView[];
  error: JobErrorView | null;
  usage: JobUsage | null;
  cost_usd: number | null;
  compute_cost_usd: number | null;
  rate_limits: Record<string, string> | null;
  /** The job's own webhook, as submitted (its tenant's endpoints are not listed); null when none. */
  webhook: { url: string; events: JobWebhookEvent[] } | null;
  result?: JsonValue;
  /** Present when the job is a step of a pipeline. */
  pipeline?: { pipeline_id: string; step: string; link: string };
  links: { self: string; cancel: string; events: string };
}

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
    compute_cost_usd: job.usage?.compute_cost_usd ?? null,
    rate_limits: job.rateLimits && toRateLimitsView(job.rateLimits),
    webhook: ownWebhookOf(job),
    ...(result !== undefined && { result }),
    ...(job.pipeline && {
      pipeline: { pipeline_id: job.pipeline.pipelineId, step: job.pipeline.step, link: pipelinePath(job.pipeline.pipelineId) },
    }),
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

/** The job's own webhook: the target that came from no tenant endpoint. */
function ownWebhookOf(job: Job): JobView['webhook'] {
  const own = job.webhooks.find((target) => target.endpointId === null);
  return own ? { url: own.url, events: own.events.filter(isJobWebhookEvent) } : null;
}

function toAttemptView(attempt: Attempt): AttemptView {
  return {
    number: attempt.number,
    dispatched_at: attempt.dispatchedAt,
    worker_ref: attempt.workerRef,
    launched_at: attempt.launchedAt,
    started_at: attempt.startedAt,
    ended_at: attempt.endedAt,
    outcome: attempt.outcome,
    error: attempt.error && toErrorView(attempt.error),
    log_stream: attempt.logStream ? { ...attempt.logStream, console_url: logStreamConsoleUrl(attempt.logStream) } : null,
    task_arn: attempt.taskArn ?? null,
  };
}

function toErrorView(error: JobError): JobErrorView {
  return { kind: error.kind, message: error.message, handler: error.handler };
}

/** Header values are strings; the record keeps them as JSON, so anything else is shown as its JSON text. */
function toRateLimitsView(limits: JsonObject): Record<string, string> {
  return Object.fromEntries(
    Object.entries(limits).map(([name, value]) => [name, typeof value === 'string' ? value : JSON.stringify(value)]),
  );
}
