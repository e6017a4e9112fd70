import type { Job, JobError, JsonValue } from './job.ts';
import { isTerminal, type JobStatus } from './job-status.ts';
import type { PipelineStatus, PipelineStep } from './pipeline.ts';
import type { Transition } from './transitions.ts';

/**
 * How a pipeline moves on, as pure decisions and conditional writes on step jobs. Every write
 * expects the step WAITING at the version read, so two advancers (a worker and the sweep, say)
 * cannot both release, skip or fail the same step: one wins, the other re-reads.
 */

export type StepDecision =
  /** A step it needs has not ended yet. */
  | { kind: 'wait' }
  /** Every step it needs ended, and it runs: resolve its references, then queue it. */
  | { kind: 'release' }
  /** A step it needs did not succeed, and it does not continue on failure. */
  | { kind: 'skip'; reason: string }
  /** The pipeline was cancelled before it became ready. */
  | { kind: 'cancel' };

export function decideWaitingStep(
  step: Pick<PipelineStep, 'needs' | 'continueOnFailure'>,
  statusOf: (name: string) => JobStatus | undefined,
  cancelRequested: boolean,
): StepDecision {
  if (cancelRequested) return { kind: 'cancel' };
  const needed = step.needs.map((name) => ({ name, status: statusOf(name) }));
  if (needed.some((n) => n.status === undefined || !isTerminal(n.status))) return { kind: 'wait' };
  const unsuccessful = needed.find((n) => n.status !== 'SUCCEEDED');
  if (!unsuccessful || step.continueOnFailure) return { kind: 'release' };
  return { kind: 'skip', reason: `step "${unsuccessful.name}" it needs ended ${unsuccessful.status}` };
}

/** RUNNING until every step ended; then CANCELLED if cancelled, SUCCEEDED if all did, else FAILED. */
export function rollUpStatus(statuses: readonly (JobStatus | undefined)[], cancelRequested: boolean): PipelineStatus {
  if (statuses.some((s) => s === undefined || !isTerminal(s))) return 'RUNNING';
  if (cancelRequested) return 'CANCELLED';
  return statuses.every((s) => s === 'SUCCEEDED') ? 'SUCCEEDED' : 'FAILED';
}

function fromWaiting(job: Job, to: JobStatus, changes: Transition['changes']): Transition | null {
  if (job.status !== 'WAITING') return null;
  return { expect: { status: ['WAITING'], version: job.version }, changes: { ...changes, status: to } };
}

/** The step may run: QUEUED with its references resolved (the caller then enqueues it). */
export function releaseStep(job: Job, stored: { payload: JsonValue | null; payloadRef: string | null }): Transition | null {
  return fromWaiting(job, 'QUEUED', stored);
}

export function skipStep(job: Job, reason: string, now: Date): Transition | null {
  const error: JobError = { kind: 'skipped', message: reason, handler: null };
  return fromWaiting(job, 'SKIPPED', { error, finishedAt: now.toISOString() });
}

/** A value it takes from another step is missing (or makes its payload invalid): it cannot run. */
export function failStep(job: Job, message: string, now: Date): Transition | null {
  const error: JobError = { kind: 'fatal', message, handler: null };
  return fromWaiting(job, 'FAILED', { error, finishedAt: now.toISOString() });
}
