import type { Job, Priority } from '../domain/job.ts';
import { roundUsd } from '../domain/job-usage.ts';
import type { JobStore } from '../ports/job-store.ts';

const MINUTE = 60_000;
const HOUR = 3_600_000;
export const OUTCOMES = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED'] as const;
type Outcome = (typeof OUTCOMES)[number];

/**
 * How far before the window jobs are read: a job created earlier than this that finished, waited
 * or spent inside the window is missed (one that queued or ran for over an hour before it).
 */
export const LOOKBACK_MS = HOUR;

export interface JobTimeseries {
  from: string;
  to: string;
  /** Jobs that ended in each minute, by outcome; `at` is the minute's start. */
  finished: ({ at: string } & Record<Outcome, number>)[];
  /** Jobs waiting (QUEUED) at the end of each minute, by priority; `at` is that instant. */
  queue_depth: ({ at: string } & Record<Priority, number>)[];
  /** What jobs that ended (or last recorded spend) in each hour cost; `at` is the hour's start. */
  spend: { at: string; claude_usd: number; compute_usd: number }[];
  jobs_read: number;
  truncated: boolean;
}

/**
 * The last hours as charts need them, computed from the job records alone: an end is the record's
 * `finishedAt`; a job waits from its creation (or its previous attempt's end) until an attempt is
 * dispatched; spend is its recorded usage at its end. Exact for the jobs read, with nothing to
 * store or sample; `from` is whole minutes, and hours are UTC hours.
 */
type ChartedJob = Pick<Job, 'status' | 'priority' | 'createdAt' | 'finishedAt' | 'updatedAt' | 'attempts' | 'usage'>;

export function jobTimeseries(jobs: Iterable<ChartedJob>, from: Date, to: Date): Omit<JobTimeseries, 'jobs_read' | 'truncated'> {
  const tally = timeseriesTally(from, to);
  for (const job of jobs) tally.add(job);
  return tally.result();
}

/** The same, a job at a time: a long window is read page by page, never held whole. */
export function timeseriesTally(
  from: Date,
  to: Date,
): { add(job: ChartedJob): void; result(): Omit<JobTimeseries, 'jobs_read' | 'truncated'> } {
  const start = Math.floor(from.getTime() / MINUTE) * MINUTE;
  const minutes = Math.max(1, Math.ceil((to.getTime() - start) / MINUTE));
  const hourStart = Math.floor(start / HOUR) * HOUR;
  const hours = Math.max(1, Math.ceil((to.getTime() - hourStart) / HOUR));
  const finished = Array.from({ length: minutes }, (_, i) => ({
    at: new Date(start + i * MINUTE).toISOString(),
    SUCCEEDED: 0,
    FAILED: 0,
    TIMED_OUT: 0,
    CANCELLED: 0,
  }));
  const depth = Array.from({ length: minutes }, (_, i) => ({
    at: new Date(Math.min(start + (i + 1) * MINUTE, to.getTime())).toISOString(),
    critical: 0,
    high: 0,
    normal: 0,
    low: 0,
  }));
  const spend = Array.from({ length: hours }, (_, i) => ({
    at: new Date(hourStart + i * HOUR).toISOString(),
    claude_usd: 0,
    compute_usd: 0,
  }));

  const add = (job: ChartedJob) => {
    if (job.finishedAt && (OUTCOMES as readonly string[]).includes(job.status)) {
      const i = Math.floor((Date.parse(job.finishedAt) - start) / MINUTE);
      if (i >= 0 && i < minutes) finished[i]![job.status as Outcome] += 1;
    }
    for (const [waitFrom, waitTo] of waitingSpans(job)) {
      for (let i = 0; i < minutes; i++) {
        const t = Date.parse(depth[i]!.at);
        if (waitFrom <= t && t < waitTo) depth[i]![job.priority] += 1;
      }
    }
    if (job.usage) {
      const h = Math.floor((Date.parse(job.finishedAt ?? job.updatedAt) - hourStart) / HOUR);
      if (h >= 0 && h < hours) {
        spend[h]!.claude_usd = roundUsd(spend[h]!.claude_usd + job.usage.cost_usd);
        spend[h]!.compute_usd = roundUsd(spend[h]!.compute_usd + (job.usage.compute_cost_usd ?? 0));
      }
    }
  };
  return { add, result: () => ({ from: new Date(start).toISOString(), to: to.toISOString(), finished, queue_depth: depth, spend }) };
}

/** The [from, to) spans (epoch ms) a job spent QUEUED: before each attempt, and after its last if it waits again. */
function waitingSpans(job: Pick<Job, 'status' | 'createdAt' | 'finishedAt' | 'attempts'>): [number, number][] {
  const spans: [number, number][] = [];
  let waitingSince: number | null = Date.parse(job.createdAt);
  for (const attempt of job.attempts) {
    if (waitingSince !== null) spans.push([waitingSince, Date.parse(attempt.dispatchedAt)]);
    // An attempt followed by another was retried: the job waited again from its end.
    waitingSince = attempt.endedAt && job.attempts.at(-1) !== attempt ? Date.parse(attempt.endedAt) : null;
  }
  const last = job.attempts.at(-1);
  if (job.status === 'QUEUED') spans.push([last?.endedAt ? Date.parse(last.endedAt) : Date.parse(job.createdAt), Infinity]);
  else if (job.attempts.length === 0 && job.finishedAt) spans.push([Date.parse(job.createdAt), Date.parse(job.finishedAt)]);
  return spans;
}

/** Reads the jobs created in [from − LOOKBACK_MS, to) (at most `maxJobs`) and charts them; `tenant`: only theirs. */
export async function readJobTimeseries(
  store: JobStore,
  query: { from: Date; to: Date; tenant?: string },
  maxJobs = 100_000,
): Promise<JobTimeseries> {
  const tally = timeseriesTally(query.from, query.to);
  let read = 0;
  /** The tenant's own: the count of every tenant's jobs is not theirs to see. */
  let charted = 0;
  let cursor: string | null = null;
  do {
    const page = await store.listCreatedBetween({
      from: new Date(query.from.getTime() - LOOKBACK_MS),
      to: query.to,
      limit: Math.min(500, maxJobs - read),
      ...(cursor !== null ? { cursor } : {}),
    });
    for (const job of page.jobs) {
      if (query.tenant !== undefined && job.tenant !== query.tenant) continue;
      tally.add(job);
      charted++;
    }
    read += page.jobs.length;
    cursor = page.nextCursor;
  } while (cursor !== null && read < maxJobs);
  return { ...tally.result(), jobs_read: charted, truncated: cursor !== null };
}
