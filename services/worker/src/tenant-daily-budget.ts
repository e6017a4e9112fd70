import { FatalError } from '@agent-runner/shared/domain/errors.ts';
import type { Clock } from '@agent-runner/shared/domain/ids.ts';
import { roundUsd } from '@agent-runner/shared/domain/job-usage.ts';
import { effectiveQuotas, utcDayOf, type TenantQuotas } from '@agent-runner/shared/domain/tenant-quotas.ts';
import type { Logger } from '@agent-runner/shared/observability/logger.ts';
import type { TenantSettingsStore } from '@agent-runner/shared/ports/tenant-settings.ts';
import type { TenantSpend } from '@agent-runner/shared/ports/tenant-spend.ts';
import { wouldExceedBudget } from './handlers/agent-budget.ts';

/**
 * A model call refused because it would take the tenant's recorded spend for the day past its
 * budget. Fatal for a job of one call (claude_chat, claude_code); research and tool_agent end
 * with `outcome: budget_exceeded` instead, as they do at their own `max_cost_usd`.
 */
export class TenantBudgetExceededError extends FatalError {}

/** What a handler's model calls consult before each call (HandlerContext.tenantBudget). */
export interface TenantBudgetGuard {
  /**
   * Reserves the least the next call can cost. Returns the function that gives the reservation
   * back once the call ended (its cost then counted as spent), or null when spending plus every
   * reservation plus this call would certainly pass the tenant's daily budget.
   */
  reserve(minimumUsd: number): Promise<(() => void) | null>;
  /** For the `budget_exceeded` event: what the tenant spent today as far as this attempt knows, and its budget. */
  standing(): { tenant: string; spent_today_usd: number; budget_usd_per_day: number | null };
}

export interface TenantDailyBudgetDeps {
  tenant: string;
  settings: TenantSettingsStore;
  spend: TenantSpend;
  defaults: TenantQuotas;
  clock: Clock;
  log: Logger;
  /** Everything this attempt has spent so far (AttemptUsage.totalCostUsd). */
  attemptSpentUsd: () => number;
}

/**
 * One attempt's view of its tenant's daily budget. The tenant's budget and its spend today are
 * read when the first model call asks (a job without one reads nothing), then refreshed with
 * each heartbeat: the spend total comes back from the very write that adds this attempt's calls
 * (`record`), so other workers' spend is seen within a heartbeat interval. Between refreshes the
 * attempt adds its own calls as they complete, so its own spending is never stale. Calls running
 * at once reserve their least cost first, as CostBudget does for `max_cost_usd`.
 *
 * If the stores cannot be read, the attempt runs on without a tenant limit (logged): the job's
 * own record writes would be failing too, and a daily budget is not worth failing work for.
 */
export class TenantDailyBudget implements TenantBudgetGuard {
  private readonly deps: TenantDailyBudgetDeps;
  private loaded: Promise<void> | null = null;
  private budgetUsd: number | null = null;
  /** The tenant's total for `day` as last read or written back. */
  private dayTotal = { day: '', usd: 0 };
  /** What this attempt added to the tenant's totals so far (part of `dayTotal` when the day is the same). */
  private countedUsd = 0;
  private reservedUsd = 0;

  constructor(deps: TenantDailyBudgetDeps) {
    this.deps = deps;
  }

  async reserve(minimumUsd: number): Promise<(() => void) | null> {
    this.loaded ??= this.refresh();
    await this.loaded;
    if (this.budgetUsd !== null && wouldExceedBudget(this.spentTodayUsd() + this.reservedUsd, minimumUsd, this.budgetUsd)) return null;
    this.reservedUsd += minimumUsd;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.reservedUsd -= minimumUsd;
    };
  }

  standing(): { tenant: string; spent_today_usd: number; budget_usd_per_day: number | null } {
    return { tenant: this.deps.tenant, spent_today_usd: this.spentTodayUsd(), budget_usd_per_day: this.budgetUsd };
  }

  /**
   * Adds `usd` the attempt just wrote onto its job record to the tenant's day (every attempt does,
   * budget or not: a budget set later today must see the day's spend). Best effort: a failure is
   * logged, and the spend stays on the job record.
   */
  async record(usd: number): Promise<void> {
    if (!(usd > 0)) return;
    const day = utcDayOf(this.deps.clock.now());
    try {
      const total = await this.deps.spend.add(this.deps.tenant, day, usd);
      this.countedUsd = roundUsd(this.countedUsd + usd);
      this.dayTotal = { day, usd: total };
    } catch (error) {
      this.deps.log.warn({ err: error }, "could not add the attempt's spend to the tenant's daily total");
    }
  }

  /** With each heartbeat, once a model call has asked: the budget may have changed, and others spent. */
  async refreshIfInUse(): Promise<void> {
    if (this.loaded === null) return;
    await this.loaded;
    this.loaded = this.refresh();
    await this.loaded;
  }

  private async refresh(): Promise<void> {
    const { tenant, clock } = this.deps;
    const day = utcDayOf(clock.now());
    try {
      const settings = await this.deps.settings.get(tenant);
      this.budgetUsd = effectiveQuotas(this.deps.defaults, settings).budgetUsdPerDay;
      if (this.budgetUsd !== null) this.dayTotal = { day, usd: await this.deps.spend.get(tenant, day) };
    } catch (error) {
      this.deps.log.warn({ err: error }, "could not read the tenant's daily budget; going on with what is known");
    }
  }

  /** The tenant's spend today: its last known total plus what this attempt spent and has not added yet. */
  private spentTodayUsd(): number {
    const today = utcDayOf(this.deps.clock.now());
    const total = this.dayTotal.day === today ? this.dayTotal.usd : 0;
    return roundUsd(total + Math.max(0, this.deps.attemptSpentUsd() - this.countedUsd));
  }
}
