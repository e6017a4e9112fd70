import { scopesFor } from '@agent-runner/shared/domain/concurrency-scopes.ts';
import { FatalError, RetryableError, describeError } from '@agent-runner/shared/domain/errors.ts';
import { currentAttempt, type Job, type JobError } from '@agent-runner/shared/domain/job.ts';
import { computeSettingsForWorker } from '@agent-runner/shared/config/observability-config.ts';
import { claimForLaunch, failAttempt, recordLaunch } from '@agent-runner/shared/domain/transitions.ts';
import { applyTransition } from '@agent-runner/shared/jobs/apply-transition.ts';
import type { LaunchedWorker } from '@agent-runner/shared/ports/worker-launcher.ts';
import type { DeliveryOutcome } from '@agent-runner/shared/ports/job-queue.ts';
import type { DispatcherDeps } from './dispatcher-deps.ts';
import { requeueWithBackoff } from './requeue-job.ts';

export const ACK: DeliveryOutcome = { kind: 'ack' };

/**
 * What a delivered message means for its job, before any capacity is spent on it: launch it, or
 * settle the message at once (the job is gone, running, done — a duplicate delivery — or another
 * dispatcher is mid-launch).
 */
export function triageDelivery(job: Job | null, deps: DispatcherDeps): 'launch' | DeliveryOutcome {
  if (!job) return ACK; // withdrawn by the API after a failed enqueue: nothing to run
  if (claimForLaunch(job, deps.clock.now(), deps.config.dispatch.claimTimeoutSeconds)) return 'launch';
  const current = currentAttempt(job);
  if (job.status === 'DISPATCHED' && current?.workerRef === null) {
    // Another dispatcher holds a fresh claim and is launching. Look again once that claim goes
    // stale (not a whole timeout from now: after a restart the claim is already old), in case it
    // died mid-launch.
    const age = (deps.clock.now().getTime() - Date.parse(current.dispatchedAt)) / 1000;
    return { kind: 'release', delaySeconds: Math.max(1, Math.ceil(deps.config.dispatch.claimTimeoutSeconds - age)) };
  }
  return ACK;
}

export type LaunchOutcome =
  /** The worker is launched and recorded: the message may go. */
  | { kind: 'launched'; workerRef: string }
  /** Someone else claimed it first (or it changed state): nothing of ours to undo. */
  | { kind: 'not-ours' }
  /** The launch failed; the job went back to QUEUED (`requeued`) or ended FAILED. */
  | { kind: 'launch-failed'; requeued: boolean; throttled: boolean };

/**
 * Claims the job (a conditional write: a duplicate delivery or a second dispatcher loses and
 * launches nothing), launches its worker, and records the launch. Only after that may the message
 * be deleted; a crash anywhere before leaves the message to come back, and a claim without a
 * recorded launch is taken over once stale, under the same attempt (the launch token dedups).
 */
export async function claimAndLaunch(deps: DispatcherDeps, jobId: string, known?: Job): Promise<LaunchOutcome> {
  const now = () => deps.clock.now();
  // `known`: the record the delivery was triaged on; the claim is conditional on its version.
  const claim = await applyTransition(
    deps.jobs,
    jobId,
    (job) => claimForLaunch(job, now(), deps.config.dispatch.claimTimeoutSeconds),
    now,
    undefined,
    known,
  );
  if (!claim.applied) return { kind: 'not-ours' };
  const job = claim.job;
  const attempt = job.attempt;
  let launched: LaunchedWorker;
  try {
    launched = await deps.launcher.launch({
      jobId,
      attempt,
      jobType: job.jobType,
      isolation: job.isolation,
      env: workerSettings(deps),
    });
  } catch (error) {
    return await recordFailedLaunch(deps, job, attempt, error);
  }
  const { workerRef, logStream } = launched;
  // The claim's write returned the record as written: the launch is recorded on it without a read.
  const recorded = await applyTransition(
    deps.jobs,
    jobId,
    (j) => recordLaunch(j, attempt, workerRef, now(), logStream),
    now,
    undefined,
    job,
  );
  deps.outcomes.launched(recorded.job);
  deps.log.info(
    {
      job_id: jobId,
      attempt,
      worker_ref: workerRef,
      ...(workerRef.startsWith('arn:') ? { task_arn: workerRef } : {}),
      job_type: job.jobType,
    },
    'worker launched',
  );
  return { kind: 'launched', workerRef };
}

/** A launch that failed leaves the job QUEUED for another attempt (or FAILED when out of attempts). */
async function recordFailedLaunch(deps: DispatcherDeps, job: Job, attempt: number, error: unknown): Promise<LaunchOutcome> {
  const now = () => deps.clock.now();
  const failure: JobError = {
    kind: error instanceof FatalError ? 'fatal' : 'retryable',
    message: `launch failed: ${describeError(error)}`,
    handler: null,
  };
  deps.log.warn({ job_id: job.jobId, attempt, error: failure.message }, 'launch failed');
  deps.metrics.launchFailed(error);
  let requeued = false;
  const written = await applyTransition(
    deps.jobs,
    job.jobId,
    (j) => {
      const outcome = failAttempt(j, attempt, failure, now());
      requeued = outcome?.requeued ?? false;
      return outcome?.transition ?? null;
    },
    now,
    undefined,
    job,
  );
  if (written.applied) deps.outcomes.endedAtLaunch(written.job);
  // Slots go back before the retry's message exists, so the retry cannot find them still held.
  await deps.leases.release(
    job.jobId,
    scopesFor(job, deps.config.dispatch).map((s) => s.key),
  );
  // The new message must exist before the delivered one may be deleted; if this send throws, the
  // delivery is not acked and comes back, finding the job QUEUED again.
  if (written.applied && requeued) await requeueWithBackoff(deps, written.job, attempt);
  if (written.applied && !requeued) await deps.jobEnded?.(written.job);
  return { kind: 'launch-failed', requeued, throttled: error instanceof RetryableError };
}

/**
 * Settings the reaper judges workers by travel with the launch, so both sides always agree; so do
 * the compute prices a worker records its own cost at, and the limits that decide a job's
 * concurrency scopes, so the worker can name the slots it releases (and the release need not read
 * them first).
 */
function workerSettings(deps: DispatcherDeps): Record<string, string> {
  const { heartbeatSeconds, maxRunningByType, maxRunningPerTenant } = deps.config.dispatch;
  const byType = Object.entries(maxRunningByType)
    .map(([type, limit]) => `${type}=${limit}`)
    .join(',');
  return {
    AGENT_RUNNER_HEARTBEAT_SECONDS: String(heartbeatSeconds),
    ...computeSettingsForWorker(deps.config.observability),
    ...(byType ? { AGENT_RUNNER_MAX_RUNNING_BY_TYPE: byType } : {}),
    ...(maxRunningPerTenant !== null ? { AGENT_RUNNER_MAX_RUNNING_PER_TENANT: String(maxRunningPerTenant) } : {}),
  };
}
