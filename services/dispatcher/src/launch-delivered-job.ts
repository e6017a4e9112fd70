import { FatalError, describeError } from '@agent-runner/shared/domain/errors.ts';
import type { JobError } from '@agent-runner/shared/domain/job.ts';
import { claimForLaunch, failAttempt, recordLaunch } from '@agent-runner/shared/domain/transitions.ts';
import { applyTransition } from '@agent-runner/shared/jobs/apply-transition.ts';
import type { DeliveryOutcome, JobDelivery } from '@agent-runner/shared/ports/job-queue.ts';
import type { DispatcherDeps } from './dispatcher-deps.ts';
import { requeueWithBackoff } from './requeue-job.ts';

const ACK: DeliveryOutcome = { kind: 'ack' };

/**
 * One delivery: claim the job (a conditional write — a duplicate delivery or a second dispatcher
 * loses the claim and launches nothing), launch its worker, record the launch, and only then let
 * the message be deleted. A crash anywhere before the ack leaves the message to come back.
 */
export async function launchDeliveredJob(deps: DispatcherDeps, delivery: JobDelivery): Promise<DeliveryOutcome> {
  const { jobs, launcher, clock, config } = deps;
  const now = () => clock.now();
  const { jobId } = delivery.message;
  const log = deps.log.child({ job_id: jobId });

  const existing = await jobs.get(jobId);
  if (!existing) {
    // The API withdrew the job after a failed enqueue, or it was deleted: nothing to run.
    log.warn('message for a job that does not exist; dropping it');
    return ACK;
  }
  const claim = await applyTransition(jobs, jobId, (job) => claimForLaunch(job, now(), config.dispatch.claimTimeoutSeconds), now);
  if (!claim.applied) {
    const job = claim.job;
    const current = job.attempts.find((a) => a.number === job.attempt);
    if (job.status === 'DISPATCHED' && current?.workerRef === null) {
      // Another dispatcher holds a fresh claim and is launching. Look again once its claim could
      // have gone stale, in case it died mid-launch.
      return { kind: 'release', delaySeconds: config.dispatch.claimTimeoutSeconds };
    }
    log.debug({ status: job.status }, 'already launched or finished; duplicate delivery acknowledged');
    return ACK;
  }

  const job = claim.job;
  const attempt = job.attempt;
  let workerRef: string;
  try {
    ({ workerRef } = await launcher.launch({ jobId, attempt, jobType: job.jobType }));
  } catch (error) {
    return await recordFailedLaunch(deps, jobId, attempt, error);
  }
  await applyTransition(jobs, jobId, (j) => recordLaunch(j, attempt, workerRef, now()), now);
  log.info({ attempt, worker_ref: workerRef, job_type: job.jobType }, 'worker launched');
  return ACK;
}

/** A launch that failed leaves the job QUEUED for another attempt (or FAILED when out of attempts). */
async function recordFailedLaunch(deps: DispatcherDeps, jobId: string, attempt: number, error: unknown): Promise<DeliveryOutcome> {
  const now = () => deps.clock.now();
  const failure: JobError = {
    kind: error instanceof FatalError ? 'fatal' : 'retryable',
    message: `launch failed: ${describeError(error)}`,
    handler: null,
  };
  deps.log.warn({ job_id: jobId, attempt, error: failure.message }, 'launch failed');
  let requeued = false;
  const written = await applyTransition(
    deps.jobs,
    jobId,
    (j) => {
      const outcome = failAttempt(j, attempt, failure, now());
      requeued = outcome?.requeued ?? false;
      return outcome?.transition ?? null;
    },
    now,
  );
  // The new message must exist before this one may be deleted; if the send throws, this delivery
  // is not acked and comes back, finding the job QUEUED again.
  if (written.applied && requeued) await requeueWithBackoff(deps, written.job, attempt);
  return ACK;
}
