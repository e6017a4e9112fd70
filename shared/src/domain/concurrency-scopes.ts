import type { Job } from './job.ts';

/**
 * A bounded resource: at most `limit` holders at once. Keys name what is limited: `global`,
 * `type:<job_type>`, `tenant:<tenant>`, `order:<ordering_key>` (limit 1: one job of a group at a time).
 */
export interface LeaseScope {
  key: string;
  limit: number;
}

export interface ConcurrencyLimits {
  maxRunning: number;
  maxRunningByType: Readonly<Record<string, number>>;
  maxRunningPerTenant: number | null;
}

/**
 * The slots a job must hold to run: one of the global limit, one of its type's limit (if any), one
 * of its tenant's (if limited), and its ordering group's only slot — which is what makes jobs of
 * one ordering key run one at a time.
 */
export function scopesFor(job: Pick<Job, 'jobType' | 'tenant' | 'orderingKey'>, limits: ConcurrencyLimits): LeaseScope[] {
  const scopes: LeaseScope[] = [{ key: 'global', limit: limits.maxRunning }];
  const byType = limits.maxRunningByType[job.jobType];
  if (byType !== undefined) scopes.push({ key: `type:${job.jobType}`, limit: byType });
  if (limits.maxRunningPerTenant !== null) scopes.push({ key: `tenant:${job.tenant}`, limit: limits.maxRunningPerTenant });
  if (job.orderingKey !== null) scopes.push({ key: `order:${job.orderingKey}`, limit: 1 });
  return scopes;
}
