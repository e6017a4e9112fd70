import type { TokenUsage } from '@agent-runner/shared/anthropic/model-prices.ts';
import { UsageLedger } from '@agent-runner/shared/anthropic/usage-ledger.ts';
import type { JsonObject } from '@agent-runner/shared/domain/job.ts';
import type { AttemptSpend } from '@agent-runner/shared/domain/job-usage.ts';

interface Call {
  model: string;
  usage: TokenUsage;
  costUsd: number;
}

/** What is not yet on the job record, and the mark to pass to `markRecorded` once it is. */
export interface PendingSpend {
  spend: AttemptSpend;
  upTo: number;
}

/**
 * Everything one attempt spends on Claude, across every ClaudeSession its handler opens and every
 * call each makes (a tool_agent or research job makes many). The worker adds what is not yet on
 * the job record with each heartbeat and with the write that ends the attempt, so a worker that
 * vanishes mid-attempt leaves at most one heartbeat's worth of calls off the record.
 */
export class AttemptUsage {
  private readonly calls: Call[] = [];
  private recorded = 0;
  private rateLimits: JsonObject | null = null;
  private rateLimitsRecorded = true;

  recordCall(model: string, usage: TokenUsage, costUsd: number): void {
    this.calls.push({ model, usage, costUsd });
  }

  /** What every call of the attempt cost, recorded on the job or not (the tenant's daily budget counts it). */
  totalCostUsd(): number {
    const ledger = new UsageLedger();
    for (const call of this.calls) ledger.record(call.model, call.usage, call.costUsd);
    return ledger.totalCostUsd();
  }

  /** The latest `anthropic-ratelimit-*` headers seen, from a success or an error. */
  noteRateLimits(limits: JsonObject): void {
    this.rateLimits = limits;
    this.rateLimitsRecorded = false;
  }

  /** The calls made since the last `markRecorded` (usage null: none), and the latest rate limits if new. */
  pending(): PendingSpend {
    const ledger = new UsageLedger();
    for (const call of this.calls.slice(this.recorded)) ledger.record(call.model, call.usage, call.costUsd);
    const usage = ledger.summary();
    return {
      spend: { usage: usage.calls > 0 ? usage : null, rateLimits: this.rateLimitsRecorded ? null : this.rateLimits },
      upTo: this.calls.length,
    };
  }

  /** The spend `pending()` returned with this mark is on the record now. */
  markRecorded(upTo: number): void {
    this.recorded = Math.max(this.recorded, upTo);
    this.rateLimitsRecorded = true;
  }
}
