import { messageFor, type Job } from '@agent-runner/shared/domain/job.ts';
import { backoffSeconds, DEFAULT_BACKOFF } from '@agent-runner/shared/domain/retry-policy.ts';
import type { DispatcherDeps } from './dispatcher-deps.ts';

/**
 * Puts a job that went back to QUEUED on the queue again, after a backoff with full jitter. If this
 * send fails the job is still safe: the sweeper re-enqueues QUEUED jobs that sit too long.
 */
export async function requeueWithBackoff(deps: DispatcherDeps, job: Job, failedAttempt: number): Promise<number> {
  const delaySeconds = backoffSeconds(failedAttempt, DEFAULT_BACKOFF, deps.random);
  await deps.queue.enqueue(messageFor(job), { delaySeconds, deduplicationId: `${job.jobId}:${failedAttempt + 1}` });
  return delaySeconds;
}
