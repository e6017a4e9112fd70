import { messageFor } from '@agent-runner/shared/domain/job.ts';
import type { DispatcherDeps } from './dispatcher-deps.ts';

const PAGE = 200;

/**
 * Re-enqueues QUEUED jobs that have waited longer than AGENT_RUNNER_REQUEUE_AFTER_SECONDS: their
 * message was lost (the API recorded the job but neither its enqueue nor its undo went through, or
 * a requeue after a failed attempt could not be sent). A duplicate message is harmless: the claim
 * is a conditional write, so the job still launches once.
 */
export async function sweepStrandedJobs(deps: DispatcherDeps): Promise<number> {
  const cutoff = deps.clock.now().getTime() - deps.config.dispatch.requeueAfterSeconds * 1000;
  let swept = 0;
  for (const job of await deps.jobs.listByStatus('QUEUED', PAGE)) {
    if (Date.parse(job.updatedAt) > cutoff) continue;
    await deps.queue.enqueue(messageFor(job), { deduplicationId: `${job.jobId}:sweep:${job.version}` });
    swept++;
  }
  if (swept > 0) deps.log.warn({ swept }, 're-enqueued stranded QUEUED jobs');
  return swept;
}
