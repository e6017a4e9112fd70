import type { Job } from '../domain/job.ts';
import { addTotals, roundUsd, totalsOf, zeroTotals, type UsageTotals } from '../domain/job-usage.ts';

/** What a usage report groups jobs by. */
export const USAGE_GROUPINGS = ['tenant', 'job_type', 'model'] as const;
export type UsageGrouping = (typeof USAGE_GROUPINGS)[number];

/**
 * What the workers' time cost beside the model calls (`cost_usd` stays the Claude cost), and both
 * together. Compute belongs to no model: grouped by model, it is only in the total.
 */
export type ComputeTotals = { compute_seconds: number; compute_cost_usd: number; total_cost_usd: number };

/** One group's usage; `jobs` counts the jobs in it with recorded usage (a model call, or priced compute). */
export type UsageGroup = UsageTotals & ComputeTotals & { key: string; jobs: number };

export interface UsageTallyResult {
  /** Most expensive first (then by key). */
  groups: UsageGroup[];
  /** Over every job counted; `jobs` counts each job once, even when grouped by model. */
  total: UsageTotals & ComputeTotals & { jobs: number };
}

const zeroCompute = (): ComputeTotals => ({ compute_seconds: 0, compute_cost_usd: 0, total_cost_usd: 0 });

function addCompute(a: ComputeTotals, b: UsageTotals & { compute_seconds?: number; compute_cost_usd?: number }): ComputeTotals {
  const computeUsd = b.compute_cost_usd ?? 0;
  return {
    compute_seconds: a.compute_seconds + (b.compute_seconds ?? 0),
    compute_cost_usd: roundUsd(a.compute_cost_usd + computeUsd),
    total_cost_usd: roundUsd(a.total_cost_usd + b.cost_usd + computeUsd),
  };
}

/**
 * Adds up the usage of jobs, one at a time (a report pages through many), by tenant, job type or
 * model. Jobs with no recorded usage (`usage: null`: no model call, no priced compute) are in no group. Grouped by model, a job
 * that used two models counts in both groups, each with that model's share of its usage.
 */
export class UsageTally {
  private readonly groupBy: UsageGrouping;
  private readonly groups = new Map<string, UsageGroup>();
  private total: UsageTotals & ComputeTotals & { jobs: number } = { ...zeroTotals(), ...zeroCompute(), jobs: 0 };

  constructor(groupBy: UsageGrouping) {
    this.groupBy = groupBy;
  }

  add(job: Pick<Job, 'tenant' | 'jobType' | 'usage'>): void {
    const { usage } = job;
    if (usage === null) return;
    this.total = { ...addTotals(this.total, totalsOf(usage)), ...addCompute(this.total, usage), jobs: this.total.jobs + 1 };
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
    const groups = [...this.groups.values()].sort(
      (a, b) => b.total_cost_usd - a.total_cost_usd || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
    );
    return { groups, total: this.total };
  }

  private addToGroup(key: string, totals: UsageTotals & { compute_seconds?: number; compute_cost_usd?: number }): void {
    const group = this.groups.get(key) ?? { key, jobs: 0, ...zeroTotals(), ...zeroCompute() };
    this.groups.set(key, { key, jobs: group.jobs + 1, ...addTotals(group, totalsOf(totals)), ...addCompute(group, totals) });
  }
}
