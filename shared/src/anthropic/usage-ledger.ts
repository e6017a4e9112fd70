import type { JobUsage } from '../domain/job-usage.ts';
import { roundUsd, type TokenUsage } from './model-prices.ts';

interface ModelTotals extends TokenUsage {
  calls: number;
  costUsd: number;
}

/** The usage summary a handler puts in its result (and the job record keeps): totals, and the same per model. */
export type UsageSummary = JobUsage;

/** Adds up the tokens and cost of every model call a job makes, per model. */
export class UsageLedger {
  private readonly byModel = new Map<string, ModelTotals>();

  record(model: string, usage: TokenUsage, costUsd: number): void {
    const totals = this.byModel.get(model) ?? {
      calls: 0,
      inputTokens: 0,
      outputTokens: 0,
      cacheWriteTokens: 0,
      cacheReadTokens: 0,
      costUsd: 0,
    };
    totals.calls += 1;
    totals.inputTokens += usage.inputTokens;
    totals.outputTokens += usage.outputTokens;
    totals.cacheWriteTokens += usage.cacheWriteTokens;
    totals.cacheReadTokens += usage.cacheReadTokens;
    totals.costUsd = roundUsd(totals.costUsd + costUsd);
    this.byModel.set(model, totals);
  }

  totalCostUsd(): number {
    let sum = 0;
    for (const totals of this.byModel.values()) sum += totals.costUsd;
    return roundUsd(sum);
  }

  summary(): UsageSummary {
    const summary: UsageSummary = {
      calls: 0,
      input_tokens: 0,
      output_tokens: 0,
      cache_write_tokens: 0,
      cache_read_tokens: 0,
      cost_usd: this.totalCostUsd(),
      by_model: {},
    };
    for (const [model, t] of this.byModel) {
      summary.calls += t.calls;
      summary.input_tokens += t.inputTokens;
      summary.output_tokens += t.outputTokens;
      summary.cache_write_tokens += t.cacheWriteTokens;
      summary.cache_read_tokens += t.cacheReadTokens;
      summary.by_model[model] = {
        calls: t.calls,
        input_tokens: t.inputTokens,
        output_tokens: t.outputTokens,
        cache_write_tokens: t.cacheWriteTokens,
        cache_read_tokens: t.cacheReadTokens,
        cost_usd: t.costUsd,
      };
    }
    return summary;
  }
}
