import {
  currentAttempt,
  type Attempt,
  type AttemptLogStream,
  type Job,
  type JobChanges,
  type JobError,
  type JobExpectation,
  type JsonValue,
} from './job.ts';
import type { JobStatus } from './job-status.ts';
import { canTransition, isTerminal } from './job-status.ts';
import { shouldRetry } from './retry-policy.ts';
import { withSpend, type AttemptSpend } from './job-usage.ts';

/**
 * Each function reads a job snapshot and returns the conditional write that performs one step of
 * its life, or null when the step does not apply to the job as it is. Every write expects the
 * snapshot's status and version, so a racing writer makes it fail rather than overwrite.
 */
export interface Transition {
  expect: JobExpectation;
  changes: JobChanges;
}

function guarded(job: Job, to: JobStatus, changes: JobChanges): Transition {
  if (!canTransition(job.status, to)) {
    throw new Error(`illegal transition ${job.status} -> ${to} for job ${job.jobId}`);
  }
  return { expect: { status: [job.status], version: job.version }, changes: { ...changes, status: to } };
}

function withCurrentAttempt(job: Job, patch: Partial<Attempt>): Attempt[] {
  return job.attempts.map((a) => (a.number === job.attempt ? { ...a, ...patch } : a));
}

/**
 * The dispatcher claims a job for launch. A QUEUED job starts a new attempt. A DISPATCHED job whose
 * launch was never recorded and whose claim is older than `claimTimeoutSeconds` was abandoned by a
 * dispatcher that died between claim and launch: it is re-claimed under the same attempt number, so
 * the launch's idempotency token (job id + attempt) makes a launch that did go out count once.
 */
export function claimForLaunch(job: Job, now: Date, claimTimeoutSeconds: number): Transition | null {
  const at = now.toISOString();
  if (job.status === 'QUEUED') {
    const attempt: Attempt = {
      number: job.attempt + 1,
      dispatchedAt: at,
      workerRef: null,
      launchedAt: null,
      startedAt: null,
      endedAt: null,
      outcome: null,
      error: null,
    };
    return guarded(job, 'DISPATCHED', { attempt: attempt.number, attempts: [...job.attempts, attempt] });
  }
  if (job.status === 'DISPATCHED') {
    const current = currentAttempt(job);
    if (!current || current.workerRef !== null) return null;
    const age = (now.getTime() - Date.parse(current.dispatchedAt)) / 1000;
    if (age < claimTimeoutSeconds) return null;
    return {
      expect: { status: ['DISPATCHED'], version: job.version },
      changes: { attempts: withCurrentAttempt(job, { dispatchedAt: at }) },
    };
  }
  return null;
}

/**
 * The launch is durable: record which worker runs this attempt. Also on a job that already ended:
 * a fast worker can finish (or the job be cancelled) before the dispatcher's write lands, and the
 * attempt must still name its worker (the cancelled-worker stopper and operators need it).
 */
export function recordLaunch(job: Job, attempt: number, workerRef: string, now: Date, logStream?: AttemptLogStream): Transition | null {
  if (job.attempt !== attempt || job.status === 'QUEUED') return null;
  return {
    expect: { status: [job.status], version: job.version, attempt },
    changes: { attempts: withCurrentAttempt(job, { workerRef, launchedAt: now.toISOString(), ...(logStream && { logStream }) }) },
  };
}

/**
 * The worker begins. Only the worker of the current attempt may start, and only once. `taskArn`: the
 * ECS task it runs in, when that is not already the worker ref (a pooled attempt's).
 */
export function startAttempt(job: Job, attempt: number, now: Date, taskArn?: string | null): Transition | null {
  if (job.status !== 'DISPATCHED' || job.attempt !== attempt) return null;
  const at = now.toISOString();
  const t = guarded(job, 'RUNNING', {
    startedAt: job.startedAt ?? at,
    heartbeatAt: at,
    attempts: withCurrentAttempt(job, { startedAt: at, ...(taskArn ? { taskArn } : {}) }),
  });
  return { ...t, expect: { ...t.expect, attempt } };
}

/**
 * The worker is alive. `spent`: what the attempt spent since its last write, added in the same
 * write, so the record keeps up with a long attempt's calls even if its worker later vanishes.
 */
export function heartbeat(job: Job, attempt: number, now: Date, spent?: AttemptSpend): Transition | null {
  if (job.status !== 'RUNNING' || job.attempt !== attempt) return null;
  const spends = spent !== undefined && (spent.usage !== null || spent.rateLimits !== null);
  return {
    expect: { status: ['RUNNING'], version: job.version, attempt },
    changes: { heartbeatAt: now.toISOString(), ...(spends ? withSpend(job, spent) : {}) },
  };
}

/** `spent`: what the attempt spent on model calls, added to the record in this same write. */
export function succeedAttempt(
  job: Job,
  attempt: number,
  stored: { result: JsonValue | null; resultRef: string | null },
  now: Date,
  spent?: AttemptSpend,
): Transition | null {
  if (job.status !== 'RUNNING' || job.attempt !== attempt) return null;
  const at = now.toISOString();
  return guarded(job, 'SUCCEEDED', {
    ...stored,
    ...(spent && withSpend(job, spent)),
    error: null,
    finishedAt: at,
    attempts: withCurrentAttempt(job, { endedAt: at, outcome: 'SUCCEEDED', error: null }),
  });
}

export interface FailureOutcome {
  transition: Transition;
  /** True when the job went back to QUEUED for another attempt (the caller re-enqueues it). */
  requeued: boolean;
}

/**
 * An attempt failed (handler error, failed launch, lost worker, timeout). The job goes back to
 * QUEUED when the error is retryable and attempts remain; otherwise it ends in `FAILED` (or
 * `TIMED_OUT` for a timeout) with the error.
 */
export function failAttempt(job: Job, attempt: number, error: JobError, now: Date, spent?: AttemptSpend): FailureOutcome | null {
  if (job.attempt !== attempt || (job.status !== 'DISPATCHED' && job.status !== 'RUNNING')) return null;
  const at = now.toISOString();
  const requeued = shouldRetry(error, attempt, job.maxAttempts);
  const terminal: JobStatus = error.kind === 'timeout' ? 'TIMED_OUT' : error.kind === 'cancelled' ? 'CANCELLED' : 'FAILED';
  const to: JobStatus = requeued ? 'QUEUED' : terminal;
  const transition = guarded(job, to, {
    error,
    heartbeatAt: null,
    ...(spent && withSpend(job, spent)),
    ...(requeued ? {} : { finishedAt: at }),
    attempts: withCurrentAttempt(job, { endedAt: at, outcome: requeued ? 'FAILED' : terminal, error }),
  });
  return { transition: { ...transition, expect: { ...transition.expect, attempt } }, requeued };
}

/**
 * Adds what an attempt spent to a record whose state is no longer that attempt's to write (the job
 * was cancelled, or given to another attempt, while it ran): the money was spent all the same.
 * Applies in any status; null when there is nothing to add.
 */
export function addAttemptSpend(job: Job, spent: AttemptSpend): Transition | null {
  if (spent.usage === null && spent.rateLimits === null) return null;
  return { expect: { status: [job.status], version: job.version }, changes: withSpend(job, spent) };
}

/** A user cancels. Terminal jobs cannot be cancelled (null: the API answers 409). */
export function cancelJob(job: Job, now: Date): Transition | null {
  if (isTerminal(job.status)) return null;
  const at = now.toISOString();
  const error: JobError = { kind: 'cancelled', message: 'cancelled by request', handler: null };
  return guarded(job, 'CANCELLED', {
    error,
    finishedAt: at,
    attempts: job.status === 'QUEUED' ? job.attempts : withCurrentAttempt(job, { endedAt: at, outcome: 'CANCELLED', error }),
  });
}
