import type { JobStatus } from './job-status.ts';
import type { JsonObject, JsonValue } from './json.ts';
import type { JobUsage } from './job-usage.ts';
import type { WebhookTarget } from './webhook-target.ts';

export const PRIORITIES = ['critical', 'high', 'normal', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];

export type { JsonObject, JsonValue } from './json.ts';

/**
 * How a job's attempts run: `one_shot`, a process (ECS task) of its own that exits after it;
 * `pooled`, on a warm pool's long-lived worker that runs jobs one after another.
 */
export const ISOLATIONS = ['one_shot', 'pooled'] as const;
export type Isolation = (typeof ISOLATIONS)[number];

/** Why an attempt or a job failed. `handler` names the job type's handler when it threw. */
export interface JobError {
  /**
   * retryable / fatal: from the handler or launcher; lost: the worker vanished; timeout; cancelled;
   * skipped: a pipeline step that did not run because a step it needs did not succeed.
   */
  kind: 'retryable' | 'fatal' | 'lost' | 'timeout' | 'cancelled' | 'skipped';
  message: string;
  handler: string | null;
}

/** Where an attempt's worker wrote its output: a CloudWatch Logs stream (the ECS task's awslogs). */
export interface AttemptLogStream {
  group: string;
  stream: string;
  region: string;
}

/** One try at running a job, recorded on the job for the user to see. */
export interface Attempt {
  number: number;
  dispatchedAt: string;
  /** Task ARN (ECS) or `pid:<n>@<host>` (process launcher), once the launch is durable. */
  workerRef: string | null;
  launchedAt: string | null;
  startedAt: string | null;
  endedAt: string | null;
  outcome: JobStatus | null;
  error: JobError | null;
  /** Set with the launch when the launcher knows it (ECS with AGENT_RUNNER_WORKER_LOG_GROUP); absent otherwise. */
  logStream?: AttemptLogStream;
  /**
   * The ECS task that started the attempt, written by its start when the worker knows it: a pooled
   * attempt's worker ref names the pool queue, not a task, so this is how the reaper finds its task.
   */
  taskArn?: string;
}

/**
 * The job record: the single source of truth about a job. Absent values are `null`, never
 * `undefined`, so both stores round-trip a record exactly.
 */
export interface Job {
  jobId: string;
  jobType: string;
  status: JobStatus;
  /** Bumped by every write; conditional writes compare it. */
  version: number;
  priority: Priority;
  tenant: string;
  /** The id of the API key that submitted it (a child job: its parent's); null with auth off. Never the key. */
  keyId: string | null;
  orderingKey: string | null;
  /** Fixed at submit time (the job's choice, else its type's default); a record from before pools reads `one_shot`. */
  isolation: Isolation;
  /** The payload, inline when it fits the record; otherwise in the blob store at `payloadRef`. */
  payload: JsonValue | null;
  payloadRef: string | null;
  createdAt: string;
  updatedAt: string;
  /** Number of the current (or last) attempt; 0 before the first claim. */
  attempt: number;
  maxAttempts: number;
  timeoutSeconds: number;
  attempts: Attempt[];
  /** Set when a worker last reported it is alive. */
  heartbeatAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  /** The handler's result, on the record when small; always in the blob store at `resultRef`. */
  result: JsonValue | null;
  resultRef: string | null;
  error: JobError | null;
  /**
   * Claude usage summed over every model call of every attempt that ended with a worker's write;
   * null until one did. An attempt whose worker vanished is not in it (its `model_call` events are).
   */
  usage: JobUsage | null;
  /** The `anthropic-ratelimit-*` (and `retry-after`) headers of the last Claude response a worker saw. */
  rateLimits: JsonObject | null;
  /** Where the job reports its end, fixed at submission (its own `webhook` plus its tenant's endpoints then). */
  webhooks: WebhookTarget[];
  /**
   * The pipeline this job is a step of. Absent (not null) on every other job, so records written
   * before pipelines existed, and the many places that build one, need no change.
   */
  pipeline?: PipelineStepRef;
}

/** A step job's place in its pipeline. */
export interface PipelineStepRef {
  pipelineId: string;
  step: string;
}

/** The fields a submitter controls, already validated. */
export interface NewJob {
  jobType: string;
  payload: JsonValue;
  priority: Priority;
  tenant: string;
  /** The submitting API key's id; absent means none (auth off). */
  keyId?: string | null;
  orderingKey: string | null;
  /** Absent: `one_shot`. */
  isolation?: Isolation;
  maxAttempts: number;
  timeoutSeconds: number;
  /** Where the job reports its end; absent means nowhere. */
  webhooks?: WebhookTarget[];
}

export function createJobRecord(
  jobId: string,
  input: NewJob,
  now: Date,
  stored: { payload: JsonValue | null; payloadRef: string | null },
): Job {
  const at = now.toISOString();
  return {
    jobId,
    jobType: input.jobType,
    status: 'QUEUED',
    version: 1,
    priority: input.priority,
    tenant: input.tenant,
    keyId: input.keyId ?? null,
    orderingKey: input.orderingKey,
    isolation: input.isolation ?? 'one_shot',
    payload: stored.payload,
    payloadRef: stored.payloadRef,
    createdAt: at,
    updatedAt: at,
    attempt: 0,
    maxAttempts: input.maxAttempts,
    timeoutSeconds: input.timeoutSeconds,
    attempts: [],
    heartbeatAt: null,
    startedAt: null,
    finishedAt: null,
    result: null,
    resultRef: null,
    error: null,
    usage: null,
    rateLimits: null,
    webhooks: input.webhooks ?? [],
  };
}

/** The attempt the job is on now (none before its first launch). */
export function currentAttempt(job: Pick<Job, 'attempt' | 'attempts'>): Attempt | undefined {
  return job.attempts.find((a) => a.number === job.attempt);
}

/** What travels on the queue: only the id and routing fields, never the payload. */
export interface JobMessage {
  jobId: string;
  priority: Priority;
  orderingKey: string | null;
}

export function messageFor(job: Job): JobMessage {
  return { jobId: job.jobId, priority: job.priority, orderingKey: job.orderingKey };
}

/** What a conditional write expects to find. Every field given must match or the write is refused. */
export interface JobExpectation {
  /** The job's status must be one of these. */
  status: readonly JobStatus[];
  /** The job's version must equal this (optimistic concurrency). */
  version?: number;
  /** The job's current attempt number must equal this. */
  attempt?: number;
}

/** Fields a write may change. `jobId`, `version`, `createdAt` and `updatedAt` are the store's. */
export type JobChanges = Partial<Omit<Job, 'jobId' | 'version' | 'createdAt' | 'updatedAt'>>;
