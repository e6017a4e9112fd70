import type { z } from 'zod';
import type { Config } from '@agent-runner/shared/config/config.ts';
import type { JobError, JsonValue } from '@agent-runner/shared/domain/job.ts';
import type { JobStatus } from '@agent-runner/shared/domain/job-status.ts';
import type { JobEventOf } from '@agent-runner/shared/job-events/catalogue.ts';
import type { JOB_TYPES, JobTypeName, PayloadOf } from '@agent-runner/shared/job-types/catalogue.ts';
import type { Logger } from '@agent-runner/shared/observability/logger.ts';
import type { SecretSource } from '@agent-runner/shared/ports/secrets.ts';
import type { AttemptUsage } from '../anthropic/attempt-usage.ts';
import type { TenantBudgetGuard } from '../tenant-daily-budget.ts';

/** A live event a handler reports while it runs (text deltas, tool calls, steps): one of the catalogue's. */
export type HandlerEvent = JobEventOf;

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

/**
 * The code that runs one job type: `run` gets the payload as the catalogue's schema parses it
 * (shared/src/job-types/). Throw RetryableError or FatalError (shared/domain/errors) to say whether
 * another attempt could help; any other error is treated as a handler bug, i.e. fatal.
 */
export interface JobHandler<T extends JobTypeName> {
  readonly jobType: T;
  /** Parses `payload` with the job type's schema (it throws if the schema refuses it), then runs the job. */
  run(payload: unknown, ctx: HandlerContext): Promise<JsonValue>;
}

export function defineHandler<T extends JobTypeName>(handler: {
  readonly jobType: T;
  /**
   * The type's definition, imported from its own file in shared/src/job-types/: the whole
   * catalogue would build every type's schema in a worker that runs one type.
   */
  readonly definition: (typeof JOB_TYPES)[T];
  run(payload: PayloadOf<T>, ctx: HandlerContext): Promise<JsonValue>;
}): JobHandler<T> {
  const schema = handler.definition.payloadSchema as z.ZodType<PayloadOf<T>>;
  return { jobType: handler.jobType, run: (payload, ctx) => handler.run(schema.parse(payload), ctx) };
}
