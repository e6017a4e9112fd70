import type { Job } from '@agent-runner/shared/domain/job.ts';
import type { JobStore } from '@agent-runner/shared/ports/job-store.ts';
import type { Logger } from '@agent-runner/shared/observability/logger.ts';

const PAGE = 200;
/** Bounds one round's memory; far above any concurrency limit a deployment would set. */
export const MAX_ACTIVE_PER_STATUS = 20_000;

/**
 * Every job DISPATCHED or RUNNING, page by page: the reaper must judge all of them each round. (A
 * single page of the oldest would leave a lost worker among the younger ones unfound for as long as
 * the older ones run.) A listing may be a moment stale, so only jobs still in the status are kept.
 */
export async function listActiveJobs(jobs: JobStore, log: Logger): Promise<Job[]> {
  const active: Job[] = [];
  for (const status of ['RUNNING', 'DISPATCHED'] as const) {
    let cursor: string | undefined;
    let listed = 0;
    do {
      const page = await jobs.list({ status, limit: PAGE, ...(cursor ? { cursor } : {}) });
      active.push(...page.jobs.filter((job) => job.status === status));
      listed += page.jobs.length;
      cursor = page.nextCursor ?? undefined;
    } while (cursor && listed < MAX_ACTIVE_PER_STATUS);
    if (cursor) log.warn({ status, listed }, `more than ${MAX_ACTIVE_PER_STATUS} jobs ${status}: the rest wait for a later round`);
  }
  return active;
}
