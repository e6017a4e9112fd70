import { ConflictError } from '@agent-runner/shared/domain/errors.ts';
import { messageFor, PRIORITIES } from '@agent-runner/shared/domain/job.ts';
import type { DispatcherDeps } from './dispatcher-deps.ts';

const PAGE = 200;

/**
 * Re-enqueues QUEUED jobs whose message is lost. A QUEUED job's message is sent right after the
 * write that queued it (the API's create, a requeue after a failed attempt) and deleted only once
 * the job has left QUEUED; a waiting message is held by a dispatcher or recycled copy-first. So a
 * message goes missing only when that send failed (and, at the API, the undo too) — then nothing
 * will ever deliver the job. A job that merely waits (a backlog behind a concurrency limit, held
 * messages) has its message and must cost nothing: the sweep re-sends only when the queues hold
 * fewer messages (waiting, delayed or in flight) than there are QUEUED jobs, i.e. when at least one
 * job provably has none. Then it re-sends the jobs older than AGENT_RUNNER_REQUEUE_AFTER_SECONDS
 * and marks each (a conditional write: version and updatedAt move on), so one is not looked at
 * again for another AGENT_RUNNER_REQUEUE_AFTER_SECONDS. A duplicate message is harmless: the claim
 * is a conditional write.
 *
 * The counts are approximate on SQS (about a minute behind) and the listing stops at PAGE jobs:
 * with more QUEUED jobs than that and at least as many messages, a lost message is found once the
 * backlog has shrunk below it. (The former rule — re-send every QUEUED job older than the limit —
 * re-sent 743 messages for merely waiting jobs during a 30 s load of 3,084 jobs.)
 */
export async function sweepStrandedJobs(deps: DispatcherDeps): Promise<number> {
  const cutoff = deps.clock.now().getTime() - deps.config.dispatch.requeueAfterSeconds * 1000;
  const queued = await deps.jobs.listByStatus('QUEUED', PAGE);
  if (!queued.some((job) => Date.parse(job.updatedAt) <= cutoff)) return 0;
  const depth = await deps.queue.depth();
  const messages = PRIORITIES.reduce((n, p) => n + depth[p].waiting + depth[p].inFlight, 0);
  if (messages >= queued.length) return 0;
  let swept = 0;
  for (const job of queued) {
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
  if (swept > 0) deps.log.warn({ swept, queued: queued.length, messages }, 're-enqueued QUEUED jobs whose message was lost');
  return swept;
}
