import type { z } from 'zod';
import type { Config } from '@agent-runner/shared/config/config.ts';
import type { JobError, JsonValue } from '@agent-runner/shared/domain/job.ts';
import type { JobStatus } from '@agent-runner/shared/domain/job-status.ts';
import type { Logger } from '@agent-runner/shared/observability/logger.ts';
import type { SecretSource } from '@agent-runner/shared/ports/secrets.ts';
import type { AttemptUsage } from '../anthropic/attempt-usage.ts';
import type { TenantBudgetGuard } from '../tenant-daily-budget.ts';

/** A live event a handler reports while it runs (text deltas, tool calls, steps, progress). */
export interface HandlerEvent {
  type: string;
  data: JsonValue;
}

export interface HandlerContext {
  jobId: string;
  attempt: number;
  jobType: string;
  /** Who runs this attempt: the ECS task ARN or `<host>:<pid>`. */
  workerId: string;
  /** Aborted at the job's deadline or on cancellation; pass it to every call that can take long. */
  signal: AbortSignal;
  log: Logger;
  secrets: SecretSource;
  config: Config;
  /** Appends an event to the job's live event log. */
  emit(event: HandlerEvent): void;
  now(): Date;
  /**
   * The attempt's Claude usage and last rate-limit headers, which every ClaudeSession records into;
   * the worker writes them onto the job record when the attempt ends. Absent: not recorded.
   */
  usage?: AttemptUsage;
  /**
   * The job's tenant's daily budget, which every ClaudeSession consults before each call (a call
   * that would pass it throws TenantBudgetExceededError). Absent: no tenant limit.
   */
  tenantBudget?: TenantBudgetGuard;
  /** Starts jobs on this job's behalf and waits for them (the tool_agent's submit_job tool). Absent: not offered. */
  childJobs?: ChildJobRunner;
}

/** A job a running job asks for. The payload is checked like a submission's. */
export interface ChildJobRequest {
  jobType: string;
  payload: JsonValue;
  /** Default: the deployment's default job timeout. */
  timeoutSeconds?: number;
}

/** How a child job ended (or where it stood when the parent stopped waiting). */
export interface ChildJobOutcome {
  jobId: string;
  status: JobStatus;
  result: JsonValue | null;
  error: JobError | null;
  /** What the child spent on model calls (its record's `usage.cost_usd`; 0 when none). */
  costUsd: number;
}

export interface ChildJobRunner {
  /**
   * Submits the job and resolves once it is terminal. Rejects with ValidationError for an unknown
   * type or a bad payload, and with `signal.reason` when `signal` aborts first.
   */
  runChildJob(request: ChildJobRequest, signal: AbortSignal): Promise<ChildJobOutcome>;
  /** What the children that ended so far spent, together: a parent's `max_cost_usd` counts it. */
  spentUsd(): number;
}

/** A payload problem found by a handler's configuration-dependent check; `path` is within the payload. */
export interface PayloadProblem {
  path: string;
  message: string;
}

/**
 * One job type: its payload schema (the API validates submissions with it, so an unknown type or a
 * bad payload is refused at submit time) and the code the worker runs. Throw RetryableError or
 * FatalError (shared/domain/errors) to say whether another attempt could help; any other error is
 * treated as a handler bug, i.e. fatal.
 */
export interface JobHandler<P> {
  readonly jobType: string;
  readonly description: string;
  readonly payloadSchema: z.ZodType<P>;
  /**
   * Checks that need the deployment's configuration (the allowed models, the enabled tools), run
   * at submit time after the schema accepts the payload: the API refuses a payload with problems.
   * `run` must not rely on it having run (the worker's configuration may differ).
   */
  validateSubmission?(payload: P, config: Config): PayloadProblem[];
  run(payload: P, ctx: HandlerContext): Promise<JsonValue>;
}

/** A handler with its payload type erased, as the registry holds it. */
export interface RegisteredHandler {
  readonly jobType: string;
  readonly description: string;
  readonly payloadSchema: z.ZodType<unknown>;
  /** Parses `payload` with the schema (it throws if the schema refuses it), then checks it against `config`. */
  validateSubmission?(payload: unknown, config: Config): PayloadProblem[];
  run(payload: unknown, ctx: HandlerContext): Promise<JsonValue>;
}

export function defineHandler<P>(handler: JobHandler<P>): RegisteredHandler {
  const validate = handler.validateSubmission?.bind(handler);
  return {
    jobType: handler.jobType,
    description: handler.description,
    payloadSchema: handler.payloadSchema,
    ...(validate ? { validateSubmission: (payload: unknown, config: Config) => validate(handler.payloadSchema.parse(payload), config) } : {}),
    run: (payload, ctx) => handler.run(handler.payloadSchema.parse(payload), ctx),
  };
}
