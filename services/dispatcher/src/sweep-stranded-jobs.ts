import { ConflictError } from '@agent-runner/shared/domain/errors.ts';
import { messageFor } from '@agent-runner/shared/domain/job.ts';
import type { DispatcherDeps } from './dispatcher-deps.ts';

const PAGE = 200;

/**
 * Re-enqueues QUEUED jobs that have waited longer than AGENT_RUNNER_REQUEUE_AFTER_SECONDS: their
 * message was lost (the API recorded the job but neither its enqueue nor its undo went through, or
 * a requeue after a failed attempt could not be sent). A duplicate message is harmless: the claim
 * is a conditional write, so the job still launches once.
 *
 * A job that merely waits (a backlog behind a concurrency limit) looks the same, so each sweep
 * also marks the job it re-enqueued (a conditional write: version and updatedAt move on): it is
 * not looked at again for another AGENT_RUNNER_REQUEUE_AFTER_SECONDS, rather than gaining a
 * duplicate message every sweep.
 */
export async function sweepStrandedJobs(deps: DispatcherDeps): Promise<number> {
  const cutoff = deps.clock.now().getTime() - deps.config.dispatch.requeueAfterSeconds * 1000;
  let swept = 0;
  for (const job of await deps.jobs.listByStatus('QUEUED', PAGE)) {
    if (Date.parse(job.updatedAt) > cutoff) continue;
    // The message first: if marking the job then fails, the next sweep only sends a duplicate.
    await deps.queue.enqueue(messageFor(job), { deduplicationId: `${job.jobId}:sweep:${job.version}` });
    swept++;
    try {
      await deps.jobs.update(job.jobId, { status: ['QUEUED'], version: job.version }, {}, deps.clock.now());
    } catch (error) {
      // Claimed or changed meanwhile: it is no longer waiting on a lost message.
      if (!(error instanceof ConflictError)) throw error;
    }
  }
  if (swept > 0) deps.log.warn({ swept }, 're-enqueued QUEUED jobs older than AGENT_RUNNER_REQUEUE_AFTER_SECONDS');
  return swept;
}
