/**
 * The job state machine. Pure: no I/O. Every adapter performs these transitions as conditional
 * writes on the expected current state and version; this module only says which ones are legal.
 *
 *   QUEUED ──claim──▶ DISPATCHED ──worker starts──▶ RUNNING ──▶ SUCCEEDED | FAILED | TIMED_OUT
 *     ▲                  │                             │
 *     └──── retry ───────┴─────────────────────────────┘          any non-terminal ──▶ CANCELLED
 *
 * A pipeline step that waits for the steps it needs starts in WAITING (never on the queue, so no
 * sweeper enqueues it): it becomes QUEUED when they succeeded, or ends SKIPPED when one did not (or
 * FAILED when a value it takes from them cannot be resolved).
 */
export const JOB_STATUSES = [
  'WAITING',
  'QUEUED',
  'DISPATCHED',
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'CANCELLED',
  'SKIPPED',
] as const;

export type JobStatus = (typeof JOB_STATUSES)[number];

export const TERMINAL_STATUSES: readonly JobStatus[] = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED', 'SKIPPED'];

const LEGAL_TRANSITIONS: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  // A pipeline step is released to the queue, skipped (a step it needs did not succeed), failed (a
  // value it takes from one is missing) or cancelled with its pipeline.
  WAITING: ['QUEUED', 'SKIPPED', 'FAILED', 'CANCELLED'],
  // A queued job is claimed for launch, or cancelled before it ever starts.
  QUEUED: ['DISPATCHED', 'CANCELLED', 'FAILED'],
  // A claimed job's worker starts; or its launch failed / it was lost before starting (back to
  // QUEUED for another attempt, or FAILED when attempts are exhausted); or it is cancelled.
  DISPATCHED: ['RUNNING', 'QUEUED', 'FAILED', 'TIMED_OUT', 'CANCELLED'],
  // A running job ends, or its worker was lost/failed retryably and it goes back for another attempt.
  RUNNING: ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED', 'QUEUED'],
  SUCCEEDED: [],
  FAILED: [],
  TIMED_OUT: [],
  CANCELLED: [],
  SKIPPED: [],
};

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return LEGAL_TRANSITIONS[from].includes(to);
}

/** The states a job may be in for a move to `to` to be legal. */
export function legalSourcesOf(to: JobStatus): JobStatus[] {
  return JOB_STATUSES.filter((from) => canTransition(from, to));
}
