import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { TokenUsage } from '../anthropic/model-prices.ts';
import { FatalError, RetryableError, UnavailableError } from '../domain/errors.ts';
import { PRIORITIES, type Priority } from '../domain/job.ts';
import type { JobStatus } from '../domain/job-status.ts';
import type { QueueDepth } from '../ports/job-queue.ts';

/** A terminal status: how a job ended. */
export type JobOutcome = Extract<JobStatus, 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'CANCELLED'>;

/** Why a launch failed, from the error's kind: never its message (unbounded text). */
export type LaunchErrorReason = 'retryable' | 'fatal' | 'unexpected';
const LAUNCH_ERROR_REASONS: readonly LaunchErrorReason[] = ['retryable', 'fatal', 'unexpected'];

const TOKEN_KINDS = ['input', 'output', 'cache_write', 'cache_read'] as const;
const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Stands for any label value outside a declared set, so a bad caller cannot grow the series count. */
export const OTHER = 'other';
/** The route label of a request no route matched (404s, probes): one series, not one per path. */
export const UNMATCHED_ROUTE = 'unmatched';

export interface MetricsOptions {
  /** Added to every series as `service` (api, dispatcher, …): two services can share one Prometheus. */
  service: string;
  /**
   * The job types that may appear as `job_type` (the handler registry's); any other value is
   * recorded as `other`. Unset: values are taken as they are — the API refuses unknown types at
   * submit time, so only registered types reach the counters.
   */
  jobTypes?: readonly string[];
  /** The models that may appear as `model` (the allowed models); any other value becomes `other`. */
  models?: readonly string[];
  /** Node's process metrics (CPU, memory, event loop lag, GC) under their usual names. Default true. */
  defaultMetrics?: boolean;
}

/**
 * Seconds buckets for how long a job waits before a worker starts it: launches take ~0.1 s locally
 * and 30–60 s on Fargate (image pull, ENI attach); capacity limits can hold jobs for minutes.
 */
const QUEUE_WAIT_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600];
/** Seconds buckets for how long a job runs: an echo takes milliseconds, an agent loop many minutes. */
const JOB_DURATION_BUCKETS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200];
/** Seconds buckets for API requests (a submission is two writes; a list one query). */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * agent-runner's metrics, each behind a typed method so callers never look a metric up by name or
 * pass a label as free text. Every series name starts with `agent_runner_`; every label set is
 * bounded (job types, priorities, outcomes, route templates, models — never job ids or tenants).
 */
export interface AgentRunnerMetrics {
  /** The registry to expose on GET /metrics: this instance's own, never prom-client's global one. */
  readonly registry: Registry;
  /** The API accepted a job. */
  jobSubmitted(job: { jobType: string; priority: Priority }): void;
  /** The dispatcher claimed a job and launched its worker. */
  jobDispatched(job: { jobType: string; priority: Priority }): void;
  /** A worker started running an attempt, `waitedSeconds` after the attempt's job was queued. */
  jobStarted(job: { jobType: string; waitedSeconds: number }): void;
  /** A job reached a terminal status; `ranSeconds` is null when it never started (cancelled while queued). */
  jobFinished(job: { jobType: string; priority: Priority; outcome: JobOutcome; ranSeconds: number | null }): void;
  /** Replaces the running-jobs gauge: declared types absent from `countsByType` show 0, others vanish. */
  setJobsRunning(countsByType: Readonly<Record<string, number>>): void;
  /** Replaces the queue-depth gauges with one sample (see startQueueDepthSampler). */
  setQueueDepth(depth: QueueDepth, sampledAt: Date): void;
  /** A worker launch failed; the reason is the error's kind. */
  launchFailed(error: unknown): void;
  /** One HTTP request answered; `route` is the matched route template (`/jobs/:id`) or `unmatched`. */
  httpRequestAnswered(request: { method: string; route: string; status: number }, seconds: number): void;
  /** One Claude call's tokens and cost. */
  claudeUsage(model: string, usage: TokenUsage, costUsd: number): void;
}

/** A fresh registry with agent-runner's metrics (and Node's process metrics) registered in it. */
export function createMetrics(options: MetricsOptions): AgentRunnerMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service: options.service });
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const jobType = boundedBy(options.jobTypes);
  const model = boundedBy(options.models);

  const submitted = new Counter({
    name: 'agent_runner_jobs_submitted_total',
    help: 'Jobs accepted by the API.',
    labelNames: ['job_type', 'priority'] as const,
    registers,
  });
  const dispatched = new Counter({
    name: 'agent_runner_jobs_dispatched_total',
    help: 'Attempts claimed and launched by a dispatcher (a retried job counts once per attempt).',
    labelNames: ['job_type', 'priority'] as const,
    registers,
  });
  const finished = new Counter({
    name: 'agent_runner_jobs_finished_total',
    help: 'Jobs that reached a terminal status, by outcome.',
    labelNames: ['job_type', 'priority', 'outcome'] as const,
    registers,
  });
  const running = new Gauge({
    name: 'agent_runner_jobs_running',
    help: 'Jobs holding a worker now (dispatched or running), by type.',
    labelNames: ['job_type'] as const,
    registers,
  });
  const queueDepth = new Gauge({
    name: 'agent_runner_queue_depth',
    help: 'Messages per priority queue: waiting (visible or delayed) and in flight (received, not yet deleted). Sampled on an interval.',
    labelNames: ['priority', 'state'] as const,
    registers,
  });
  const queueDepthSampledAt = new Gauge({
    name: 'agent_runner_queue_depth_sampled_timestamp_seconds',
    help: 'When agent_runner_queue_depth was last sampled (Unix seconds): an old value means sampling fails.',
    registers,
  });
  const queueWait = new Histogram({
    name: 'agent_runner_job_queue_wait_seconds',
    help: 'From a job attempt being queued to its worker starting it.',
    labelNames: ['job_type'] as const,
    buckets: QUEUE_WAIT_BUCKETS,
    registers,
  });
  const duration = new Histogram({
    name: 'agent_runner_job_duration_seconds',
    help: 'From a job starting to it reaching a terminal status.',
    labelNames: ['job_type', 'outcome'] as const,
    buckets: JOB_DURATION_BUCKETS,
    registers,
  });
  const launchErrors = new Counter({
    name: 'agent_runner_launch_errors_total',
    help: 'Worker launches that failed, by error kind.',
    labelNames: ['reason'] as const,
    registers,
  });
  const http = new Histogram({
    name: 'agent_runner_http_request_duration_seconds',
    help: 'HTTP requests by method, matched route template and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: HTTP_BUCKETS,
    registers,
  });
  const claudeTokens = new Counter({
    name: 'agent_runner_claude_tokens_total',
    help: 'Claude tokens by model and kind (input, output, cache_write, cache_read).',
    labelNames: ['model', 'kind'] as const,
    registers,
  });
  const claudeCost = new Counter({
    name: 'agent_runner_claude_cost_usd_total',
    help: 'Claude spend in US dollars at list prices, by model.',
    labelNames: ['model'] as const,
    registers,
  });

  // Series that exist from the start, so rate() and alerts see a 0 rather than nothing.
  for (const reason of LAUNCH_ERROR_REASONS) launchErrors.inc({ reason }, 0);
  for (const priority of PRIORITIES) {
    queueDepth.set({ priority, state: 'waiting' }, 0);
    queueDepth.set({ priority, state: 'in_flight' }, 0);
  }

  return {
    registry,
    jobSubmitted(job) {
      submitted.inc({ job_type: jobType(job.jobType), priority: job.priority });
    },
    jobDispatched(job) {
      dispatched.inc({ job_type: jobType(job.jobType), priority: job.priority });
    },
    jobStarted(job) {
      queueWait.observe({ job_type: jobType(job.jobType) }, Math.max(0, job.waitedSeconds));
    },
    jobFinished(job) {
      const type = jobType(job.jobType);
      finished.inc({ job_type: type, priority: job.priority, outcome: job.outcome });
      if (job.ranSeconds !== null) duration.observe({ job_type: type, outcome: job.outcome }, Math.max(0, job.ranSeconds));
    },
    setJobsRunning(countsByType) {
      running.reset();
      for (const type of options.jobTypes ?? []) running.set({ job_type: type }, 0);
      for (const [type, count] of Object.entries(countsByType)) running.inc({ job_type: jobType(type) }, count);
    },
    setQueueDepth(depth, sampledAt) {
      for (const priority of PRIORITIES) {
        queueDepth.set({ priority, state: 'waiting' }, depth[priority].waiting);
        queueDepth.set({ priority, state: 'in_flight' }, depth[priority].inFlight);
      }
      queueDepthSampledAt.set(sampledAt.getTime() / 1000);
    },
    launchFailed(error) {
      launchErrors.inc({ reason: launchErrorReasonOf(error) });
    },
    httpRequestAnswered(request, seconds) {
      const method = HTTP_METHODS.has(request.method) ? request.method : OTHER;
      http.observe({ method, route: request.route, status: String(request.status) }, seconds);
    },
    claudeUsage(name, usage, costUsd) {
      const m = model(name);
      const byKind: Record<(typeof TOKEN_KINDS)[number], number> = {
        input: usage.inputTokens,
        output: usage.outputTokens,
        cache_write: usage.cacheWriteTokens,
        cache_read: usage.cacheReadTokens,
      };
      for (const kind of TOKEN_KINDS) if (byKind[kind] > 0) claudeTokens.inc({ model: m, kind }, byKind[kind]);
      if (costUsd > 0) claudeCost.inc({ model: m }, costUsd);
    },
  };
}

/** The launch error's kind as a label: retryable (throttling, capacity, spawn), fatal (misconfiguration). */
export function launchErrorReasonOf(error: unknown): LaunchErrorReason {
  if (error instanceof RetryableError || error instanceof UnavailableError) return 'retryable';
  if (error instanceof FatalError) return 'fatal';
  return 'unexpected';
}

function boundedBy(allowed: readonly string[] | undefined): (value: string) => string {
  if (!allowed) return (value) => value;
  const known = new Set(allowed);
  return (value) => (known.has(value) ? value : OTHER);
}
