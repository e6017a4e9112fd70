import type { JobError } from './job.ts';

export interface BackoffPolicy {
  /** First retry's upper bound, seconds. */
  baseSeconds: number;
  /** Upper bound on any one delay, seconds. */
  capSeconds: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseSeconds: 2, capSeconds: 900 };

/** SQS DelaySeconds cannot exceed 15 minutes; a longer wait is re-delayed on the next delivery. */
export const MAX_QUEUE_DELAY_SECONDS = 900;

/**
 * Exponential backoff with full jitter ("Exponential Backoff And Jitter", AWS Architecture Blog):
 * a uniformly random delay in [0, min(cap, base * 2^(attempt-1))]. `random` is injected for tests.
 */
export function backoffSeconds(attempt: number, policy: BackoffPolicy, random: () => number): number {
  const ceiling = Math.min(policy.capSeconds, policy.baseSeconds * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * (ceiling + 1));
}

/** Whether a failed attempt gets another one. Pure; the table test in retry-policy.test.ts covers it. */
export function shouldRetry(error: JobError, attempt: number, maxAttempts: number): boolean {
  if (attempt >= maxAttempts) return false;
  switch (error.kind) {
    case 'retryable':
    case 'lost':
      return true;
    case 'fatal':
    case 'timeout':
    case 'cancelled':
    case 'skipped':
      return false;
  }
}
