import {
  effectiveQuotas,
  formatSubmitRate,
  QUOTA_NAMES,
  type QuotaName,
  type TenantQuotas,
  type TenantSettings,
} from '@agent-runner/shared/domain/tenant-quotas.ts';

/** A tenant's quotas as `tenants get/list --json` print them: what applies, what was set, today's spend. */
export interface TenantView {
  tenant: string;
  /** What applies now ("unlimited" for no limit). */
  submit_rate: string;
  max_queued: number | 'unlimited';
  budget_usd_per_day: number | 'unlimited';
  /** Which of them the tenant's own settings give (the others are the deployment's defaults). */
  set: string[];
  /** Recorded Claude spend of the current UTC day, and that day. */
  spent_today_usd: number;
  day: string;
  updated_at: string | null;
}

const FIELD: Readonly<Record<QuotaName, 'submit_rate' | 'max_queued' | 'budget_usd_per_day'>> = {
  submitRate: 'submit_rate',
  maxQueued: 'max_queued',
  budgetUsdPerDay: 'budget_usd_per_day',
};

export function tenantView(
  tenant: string,
  defaults: TenantQuotas,
  settings: TenantSettings | null,
  spent: { day: string; usd: number },
): TenantView {
  const quotas = effectiveQuotas(defaults, settings);
  return {
    tenant,
    submit_rate: formatSubmitRate(quotas.submitRate),
    max_queued: quotas.maxQueued ?? 'unlimited',
    budget_usd_per_day: quotas.budgetUsdPerDay ?? 'unlimited',
    set: QUOTA_NAMES.filter((name) => settings?.quotas[name] !== undefined).map((name) => FIELD[name]),
    spent_today_usd: spent.usd,
    day: spent.day,
    updated_at: settings?.updatedAt ?? null,
  };
}

/** The text `tenants get` prints. */
export function formatTenantView(view: TenantView): string {
  const source = (field: string) => (view.set.includes(field) ? 'set for this tenant' : 'default');
  const budget = view.budget_usd_per_day === 'unlimited' ? 'unlimited' : `$${view.budget_usd_per_day}`;
  return [
    `tenant ${view.tenant}`,
    `  submit rate          ${String(view.submit_rate).padEnd(12)} ${source('submit_rate')}`,
    `  max queued           ${String(view.max_queued).padEnd(12)} ${source('max_queued')}`,
    `  budget USD per day   ${budget.padEnd(12)} ${source('budget_usd_per_day')}`,
    `  spent today          $${view.spent_today_usd} (UTC day ${view.day})`,
  ].join('\n');
}

/** The table `tenants list` prints: one line per tenant with settings. */
export function formatTenantList(views: readonly TenantView[]): string {
  if (views.length === 0) return 'no tenant has settings of its own; every tenant follows the defaults';
  const rows = views.map((v) => [v.tenant, v.submit_rate, String(v.max_queued), String(v.budget_usd_per_day), `$${v.spent_today_usd}`]);
  const header = ['TENANT', 'SUBMIT RATE', 'MAX QUEUED', 'BUDGET/DAY', 'SPENT TODAY'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows]
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
