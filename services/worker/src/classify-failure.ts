import { FatalError, RetryableError, UnavailableError, describeError } from '@agent-runner/shared/domain/errors.ts';
import type { JobError } from '@agent-runner/shared/domain/job.ts';

/**
 * Why the worker's abort signal fired. `stopped`: the process was told to stop (SIGTERM from ECS
 * StopTask, the process launcher, a host shutting down) while the job is still its own.
 */
export type AbortCause = 'timeout' | 'cancelled' | 'superseded' | 'stopped';

/**
 * Turns whatever a handler threw into the JobError recorded on the attempt. Errors the handler did
 * not classify are handler bugs: another attempt would repeat them, so they are fatal.
 */
export function classifyFailure(error: unknown, handler: string, aborted: AbortCause | null): JobError {
  if (aborted === 'timeout') return { kind: 'timeout', message: 'the job exceeded its timeout', handler };
  if (aborted === 'cancelled') return { kind: 'cancelled', message: 'cancelled by request', handler };
  const message = describeError(error);
  if (error instanceof RetryableError || error instanceof UnavailableError) return { kind: 'retryable', message, handler };
  if (error instanceof FatalError) return { kind: 'fatal', message, handler };
  return { kind: 'fatal', message: `${handler} failed: ${message}`, handler };
}
