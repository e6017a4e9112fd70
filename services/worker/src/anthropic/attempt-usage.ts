import type { TokenUsage } from '@agent-runner/shared/anthropic/model-prices.ts';
import { UsageLedger } from '@agent-runner/shared/anthropic/usage-ledger.ts';
import type { JsonObject } from '@agent-runner/shared/domain/job.ts';
import type { AttemptSpend } from '@agent-runner/shared/domain/job-usage.ts';

/**
 * Everything one attempt spends on Claude, across every ClaudeSession its handler opens and every
 * call each makes (a tool_agent or research job makes many). The worker reads it when the attempt
 * ends, whatever way it ends, and adds it to the job record in the write that ends the attempt.
 */
export class AttemptUsage {
  private readonly ledger = new UsageLedger();
  private rateLimits: JsonObject | null = null;

  recordCall(model: string, usage: TokenUsage, costUsd: number): void {
    this.ledger.record(model, usage, costUsd);
  }

  /** The latest `anthropic-ratelimit-*` headers seen, from a success or an error. */
  noteRateLimits(limits: JsonObject): void {
    this.rateLimits = limits;
  }

  /** What was spent so far; `usage` is null while no call has completed. */
  spent(): AttemptSpend {
    const usage = this.ledger.summary();
    return { usage: usage.calls > 0 ? usage : null, rateLimits: this.rateLimits };
  }
}
