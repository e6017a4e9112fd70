import type { JobStore } from '../ports/job-store.ts';
import { UsageTally, type UsageGrouping, type UsageTallyResult } from './usage-tally.ts';

export interface UsageReportQuery {
  /** Jobs created at or after this… */
  from: Date;
  /** …and before this. */
  to: Date;
  groupBy: UsageGrouping;
  /** Only this tenant's jobs (the caller's, unless an admin asked for every tenant). */
  tenant?: string;
}

export interface UsageReportLimits {
  /** Jobs read at most; beyond that the report says `truncated`. Default 100,000. */
  maxJobs?: number;
  /** Jobs read per store page. Default 500. */
  pageSize?: number;
}

export type UsageReport = UsageTallyResult & {
  /** True when more jobs were created in the window than `maxJobs`: the sums cover the oldest `maxJobs`. */
  truncated: boolean;
};

export const DEFAULT_MAX_REPORT_JOBS = 100_000;
const DEFAULT_PAGE_SIZE = 500;

/**
 * The usage of the jobs created in [from, to), grouped. Jobs are selected by creation time, so a
 * job created before `from` whose attempts ran inside the window is not in it. The work is bounded:
 * at most `maxJobs` records are read (on DynamoDB, one index Query and one BatchGetItem per 100).
 */
export async function reportUsage(jobs: JobStore, query: UsageReportQuery, limits: UsageReportLimits = {}): Promise<UsageReport> {
  const maxJobs = limits.maxJobs ?? DEFAULT_MAX_REPORT_JOBS;
  const pageSize = limits.pageSize ?? DEFAULT_PAGE_SIZE;
  const tally = new UsageTally(query.groupBy);
  let read = 0;
  let cursor: string | null = null;
  do {
    const page = await jobs.listCreatedBetween({
      from: query.from,
      to: query.to,
      limit: Math.min(pageSize, maxJobs - read),
      ...(cursor !== null ? { cursor } : {}),
    });
    for (const job of page.jobs) if (query.tenant === undefined || job.tenant === query.tenant) tally.add(job);
    read += page.jobs.length;
    cursor = page.nextCursor;
  } while (cursor !== null && read < maxJobs);
  return { ...tally.result(), truncated: cursor !== null };
}
