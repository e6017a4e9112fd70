/**
 * A tenant's quotas: how fast it may submit, how many of its jobs may wait, and what it may spend on
 * Claude per UTC day. `null` means no limit. Pure: parsing, formatting, and resolving a tenant's
 * overrides over the deployment's defaults.
 */

/** `limit` submissions per `windowSeconds`, as a token bucket holding at most `limit` tokens. */
export interface SubmitRate {
  limit: number;
  windowSeconds: number;
}

export interface TenantQuotas {
  submitRate: SubmitRate | null;
  /** Jobs of the tenant in QUEUED at once. */
  maxQueued: number | null;
  /** USD of recorded Claude spend per UTC day. */
  budgetUsdPerDay: number | null;
}

export const QUOTA_NAMES = ['submitRate', 'maxQueued', 'budgetUsdPerDay'] as const;
export type QuotaName = (typeof QUOTA_NAMES)[number];

/**
 * What an operator set for one tenant. A quota absent here follows the deployment's default
 * (AGENT_RUNNER_TENANT_*); present and null means "no limit" for this tenant whatever the default.
 */
export interface TenantSettings {
  tenant: string;
  quotas: { [K in QuotaName]?: TenantQuotas[K] };
  updatedAt: string;
}

/** A change to a tenant's settings: a value (null: unlimited) sets it, `'default'` removes the override. */
export type QuotaChanges = { [K in QuotaName]?: TenantQuotas[K] | 'default' };

/** Tenant names as POST /jobs accepts them: 1 to 128 printable ASCII characters, no spaces. */
export const TENANT_NAME = /^[!-~]{1,128}$/;

const WINDOWS: Readonly<Record<string, number>> = { s: 1, sec: 1, m: 60, min: 60, h: 3600, hour: 3600, d: 86_400, day: 86_400 };

/** `20/s`, `600/min`, `1000/h`, `5000/d` → a SubmitRate; `unlimited` → null; anything else: an error message. */
export function parseSubmitRate(text: string): SubmitRate | null | string {
  const value = text.trim();
  if (value === 'unlimited') return null;
  const match = /^(\d+)\s*\/\s*([a-z]+)$/.exec(value);
  const windowSeconds = match ? WINDOWS[match[2]!] : undefined;
  const limit = match ? Number(match[1]) : NaN;
  if (!match || windowSeconds === undefined || !Number.isSafeInteger(limit) || limit < 1) {
    return `expected a rate like 20/s, 600/min, 1000/h or 5000/d (or "unlimited"), got "${text}"`;
  }
  return { limit, windowSeconds };
}

export function formatSubmitRate(rate: SubmitRate | null): string {
  if (rate === null) return 'unlimited';
  const unit = Object.entries({ s: 1, min: 60, h: 3600, d: 86_400 }).find(([, seconds]) => seconds === rate.windowSeconds)?.[0];
  return unit ? `${rate.limit}/${unit}` : `${rate.limit}/${rate.windowSeconds}s`;
}

/** The quotas that apply to a tenant: its overrides over the defaults. */
export function effectiveQuotas(defaults: TenantQuotas, settings: TenantSettings | null): TenantQuotas {
  const q = settings?.quotas ?? {};
  return {
    submitRate: q.submitRate !== undefined ? q.submitRate : defaults.submitRate,
    maxQueued: q.maxQueued !== undefined ? q.maxQueued : defaults.maxQueued,
    budgetUsdPerDay: q.budgetUsdPerDay !== undefined ? q.budgetUsdPerDay : defaults.budgetUsdPerDay,
  };
}

/** `settings` with `changes` applied (a `'default'` drops the override). */
export function applyQuotaChanges(settings: TenantSettings | null, tenant: string, changes: QuotaChanges, now: Date): TenantSettings {
  const quotas: TenantSettings['quotas'] = { ...settings?.quotas };
  for (const name of QUOTA_NAMES) {
    const change = changes[name];
    if (change === undefined) continue;
    if (change === 'default') delete quotas[name];
    else (quotas as Record<QuotaName, unknown>)[name] = change;
  }
  return { tenant, quotas, updatedAt: now.toISOString() };
}

/** The UTC day `at` falls in, `YYYY-MM-DD`: the period a daily budget covers. */
export function utcDayOf(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** Seconds from `at` until the next UTC midnight, when a daily budget starts again (at least 1). */
export function secondsUntilNextUtcDay(at: Date): number {
  const next = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate() + 1);
  return Math.max(1, Math.ceil((next - at.getTime()) / 1000));
}
