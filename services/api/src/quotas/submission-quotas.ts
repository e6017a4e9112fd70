import type { Backend } from '@agent-runner/shared/compose/backend.ts';
import type { Config } from '@agent-runner/shared/config/config.ts';
import { QuotaExceededError } from '@agent-runner/shared/domain/errors.ts';
import type { Clock } from '@agent-runner/shared/domain/ids.ts';
import {
  effectiveQuotas,
  secondsUntilNextUtcDay,
  utcDayOf,
  type TenantQuotas,
  type TenantSettings,
} from '@agent-runner/shared/domain/tenant-quotas.ts';
import { SubmissionRateLimiter } from './submission-rate-limiter.ts';
import { TtlCache } from '@agent-runner/shared/runtime/ttl-cache.ts';

/** A tenant at its queued cap is told to come back after this long: jobs start within seconds when capacity allows. */
const QUEUED_RETRY_AFTER_SECONDS = 5;

export interface SubmissionQuotasDeps {
  backend: Pick<Backend, 'tenants' | 'tenantSpend' | 'queuedJobs'>;
  config: Pick<Config, 'tenants'>;
  clock: Clock;
}

/**
 * The quotas a submission must pass, for the tenant it resolves to: its submission rate (a token
 * bucket in this process), its queued-job cap and its daily budget. What they are and what the
 * tenant used are read from the backend and reused for AGENT_RUNNER_TENANT_CACHE_SECONDS, so a
 * submit costs no store read while they are fresh. Within that time a settings change or other
 * instances' submits and spend are not seen (this instance's own accepted submits are counted at
 * once): a cap can be passed by what other instances admit in those seconds, and a budget by the
 * spend recorded meanwhile — the running jobs' budget check, in the worker, catches the latter.
 */
export class SubmissionQuotas {
  private readonly deps: SubmissionQuotasDeps;
  private readonly rate: SubmissionRateLimiter;
  private readonly settings: TtlCache<TenantSettings | null>;
  private readonly queued: TtlCache<number>;
  private readonly spent: TtlCache<number>;

  constructor(deps: SubmissionQuotasDeps) {
    this.deps = deps;
    const { cacheSeconds, apiInstances } = deps.config.tenants;
    this.rate = new SubmissionRateLimiter(deps.clock, apiInstances);
    this.settings = new TtlCache(cacheSeconds * 1000, deps.clock);
    this.queued = new TtlCache(cacheSeconds * 1000, deps.clock);
    this.spent = new TtlCache(cacheSeconds * 1000, deps.clock);
  }

  /**
   * Admits one submission for `tenant` or throws QuotaExceededError (rate first: it costs no read,
   * and a refused submit still used its token). Returns the headers the answer carries.
   */
  async admit(tenant: string): Promise<Record<string, string>> {
    const quotas = await this.quotasOf(tenant);
    let headers: Record<string, string> = {};
    if (quotas.submitRate !== null) {
      const decision = this.rate.take(tenant, quotas.submitRate);
      headers = decision.headers;
      if (!decision.admitted) {
        throw new QuotaExceededError(`tenant "${tenant}" submits faster than its rate allows; retry in ${decision.retryAfterSeconds} s`, {
          problem: 'rate-limited',
          retryAfterSeconds: decision.retryAfterSeconds,
          headers,
        });
      }
    }
    if (quotas.maxQueued !== null) {
      const cap = quotas.maxQueued;
      const queued = await this.queued.get(tenant, () => this.deps.backend.queuedJobs.countQueued(tenant, cap));
      if (queued >= cap) {
        throw new QuotaExceededError(`tenant "${tenant}" has ${cap} jobs queued, its limit; submit again when some have started`, {
          problem: 'too-many-queued',
          retryAfterSeconds: QUEUED_RETRY_AFTER_SECONDS,
          headers,
        });
      }
    }
    if (quotas.budgetUsdPerDay !== null) {
      const now = this.deps.clock.now();
      const day = utcDayOf(now);
      const spent = await this.spent.get(`${tenant}\u0000${day}`, () => this.deps.backend.tenantSpend.get(tenant, day));
      if (spent >= quotas.budgetUsdPerDay) {
        throw new QuotaExceededError(
          `tenant "${tenant}" has spent $${spent} of its $${quotas.budgetUsdPerDay} daily budget (UTC day ${day}); it renews at 00:00 UTC`,
          { problem: 'budget-exhausted', retryAfterSeconds: secondsUntilNextUtcDay(now), headers },
        );
      }
    }
    return headers;
  }

  /** A job of `tenant` was queued by this instance: its cached count includes it from now on. */
  noteQueued(tenant: string): void {
    this.queued.adjust(tenant, (n) => n + 1);
  }

  private async quotasOf(tenant: string): Promise<TenantQuotas> {
    const settings = await this.settings.get(tenant, () => this.deps.backend.tenants.get(tenant));
    return effectiveQuotas(this.deps.config.tenants.defaults, settings);
  }
}
