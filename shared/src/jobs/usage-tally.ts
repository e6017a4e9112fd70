import type { Job } from '../domain/job.ts';
import { addTotals, totalsOf, zeroTotals, type UsageTotals } from '../domain/job-usage.ts';

/** What a usage report groups jobs by. */
export const USAGE_GROUPINGS = ['tenant', 'job_type', 'model'] as const;
export type UsageGrouping = (typeof USAGE_GROUPINGS)[number];

/** One group's usage; `jobs` counts the jobs in it that made at least one model call. */
export type UsageGroup = UsageTotals & { key: string; jobs: number };

export interface UsageTallyResult {
  /** Most expensive first (then by key). */
  groups: UsageGroup[];
  /** Over every job counted; `jobs` counts each job once, even when grouped by model. */
  total: UsageTotals & { jobs: number };
}

/**
 * Adds up the usage of jobs, one at a time (a report pages through many), by tenant, job type or
 * model. Jobs that never called a model (`usage: null`) are in no group. Grouped by model, a job
 * that used two models counts in both groups, each with that model's share of its usage.
 */
export class UsageTally {
  private readonly groupBy: UsageGrouping;
  private readonly groups = new Map<string, UsageGroup>();
  private total: UsageTotals & { jobs: number } = { ...zeroTotals(), jobs: 0 };

  constructor(groupBy: UsageGrouping) {
    this.groupBy = groupBy;
  }

  add(job: Pick<Job, 'tenant' | 'jobType' | 'usage'>): void {
    const { usage } = job;
    if (usage === null) return;
    this.total = { ...addTotals(this.total, totalsOf(usage)), jobs: this.total.jobs + 1 };
    switch (this.groupBy) {
      case 'tenant':
        this.addToGroup(job.tenant, usage);
        return;
      case 'job_type':
        this.addToGroup(job.jobType, usage);
        return;
      case 'model':
        for (const [model, totals] of Object.entries(usage.by_model)) this.addToGroup(model, totals);
        return;
    }
  }

  result(): UsageTallyResult {
    const groups = [...this.groups.values()].sort((a, b) => b.cost_usd - a.cost_usd || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { groups, total: this.total };
  }

  private addToGroup(key: string, totals: UsageTotals): void {
    const group = this.groups.get(key) ?? { key, jobs: 0, ...zeroTotals() };
    this.groups.set(key, { key, jobs: group.jobs + 1, ...addTotals(group, totalsOf(totals)) });
  }
}
