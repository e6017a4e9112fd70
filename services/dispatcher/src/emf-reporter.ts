import type { Clock } from '@agent-runner/shared/domain/ids.ts';
import { utcDayOf } from '@agent-runner/shared/domain/tenant-quotas.ts';
import { reportUsage } from '@agent-runner/shared/jobs/report-usage.ts';
import type { Logger } from '@agent-runner/shared/observability/logger.ts';
import type { JobStore } from '@agent-runner/shared/ports/job-store.ts';
import type { EmfMetrics } from './emf-metrics.ts';
import { every } from './every.ts';

export const EMF_INTERVAL_MS = 60_000;

/**
 * Today's spend, Claude plus compute, over the jobs created since 00:00 UTC: the same pass over
 * the day's records GET /usage makes (one index Query page and one BatchGetItem per 100 jobs on
 * DynamoDB). Once a minute that is cheap at hundreds of jobs a day and a few dollars a month at
 * tens of thousands; a job created yesterday that spends today counts for yesterday.
 */
export async function spendTodayUsd(jobs: JobStore, now: Date): Promise<number> {
  const from = new Date(`${utcDayOf(now)}T00:00:00.000Z`);
  return (await reportUsage(jobs, { from, to: now, groupBy: 'tenant' })).total.total_cost_usd;
}

/**
 * Every minute (and at start): a heartbeat, then today's spend. Each dispatcher writes its own:
 * the heartbeat alarm wants at least one, and the spend gauge is the same figure from any of them
 * (an alarm on its Maximum is not fooled by two).
 */
export function startEmfReporter(
  deps: { emf: EmfMetrics; jobs: JobStore; clock: Clock; log: Logger },
  intervalMs = EMF_INTERVAL_MS,
): { stop(): Promise<void> } {
  return every(
    intervalMs,
    async () => {
      deps.emf.heartbeat();
      deps.emf.spendToday(await spendTodayUsd(deps.jobs, deps.clock.now()));
    },
    (error) => deps.log.warn({ err: error }, "could not report today's spend"),
    { atStart: true },
  );
}
