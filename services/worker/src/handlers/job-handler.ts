import type { z } from 'zod';
import type { Config } from '@agent-runner/shared/config/config.ts';
import type { JsonValue } from '@agent-runner/shared/domain/job.ts';
import type { Logger } from '@agent-runner/shared/observability/logger.ts';
import type { SecretSource } from '@agent-runner/shared/ports/secrets.ts';

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
  run(payload: P, ctx: HandlerContext): Promise<JsonValue>;
}

/** A handler with its payload type erased, as the registry holds it. */
export interface RegisteredHandler {
  readonly jobType: string;
  readonly description: string;
  readonly payloadSchema: z.ZodType<unknown>;
  run(payload: unknown, ctx: HandlerContext): Promise<JsonValue>;
}

export function defineHandler<P>(handler: JobHandler<P>): RegisteredHandler {
  return {
    jobType: handler.jobType,
    description: handler.description,
    payloadSchema: handler.payloadSchema,
    run: (payload, ctx) => handler.run(handler.payloadSchema.parse(payload), ctx),
  };
}
