import type { JsonObject } from './json.ts';

/**
 * What a job spent on model calls. snake_case because the same shape is a handler's `usage`
 * result, a `model_call` event's numbers and the API's `usage` field. Type aliases, not
 * interfaces, so a value is also a JsonValue.
 */
export type UsageTotals = {
  calls: number;
  input_tokens: number;
  output_tokens: number;
  cache_write_tokens: number;
  cache_read_tokens: number;
  cost_usd: number;
};

/**
 * Totals over every model call of a job (all its attempts), and the same per model. The compute
 * fields (worker seconds and their price, see compute-cost.ts) are present once an attempt that ran
 * on a priced worker recorded them; `cost_usd` stays the Claude cost alone.
 */
export type JobUsage = UsageTotals & {
  by_model: { [model: string]: UsageTotals };
  compute_seconds?: number;
  compute_cost_usd?: number;
};

/** Rounds to a billionth of a dollar, so sums of many calls do not drift in the last digits. */
export function roundUsd(usd: number): number {
  return Math.round(usd * 1e9) / 1e9;
}

export function zeroTotals(): UsageTotals {
  return { calls: 0, input_tokens: 0, output_tokens: 0, cache_write_tokens: 0, cache_read_tokens: 0, cost_usd: 0 };
}

/** `a + b`, field by field, with the cost rounded like every other USD sum. */
export function addTotals(a: UsageTotals, b: UsageTotals): UsageTotals {
  return {
    calls: a.calls + b.calls,
    input_tokens: a.input_tokens + b.input_tokens,
    output_tokens: a.output_tokens + b.output_tokens,
    cache_write_tokens: a.cache_write_tokens + b.cache_write_tokens,
    cache_read_tokens: a.cache_read_tokens + b.cache_read_tokens,
    cost_usd: roundUsd(a.cost_usd + b.cost_usd),
  };
}

/**
 * The usage of two spans of work together (the record's earlier attempts and the one ending now).
 * null stands for "no model call": null + null is null, so a job that never called a model keeps
 * `usage: null`. Models are listed in name order, so equal sums are equal records.
 */
export function addUsage(a: JobUsage | null, b: JobUsage | null): JobUsage | null {
  if (a === null) return b === null ? null : addUsage(emptyUsage(), b);
  if (b === null) return addUsage(a, emptyUsage());
  const models = [...new Set([...Object.keys(a.by_model), ...Object.keys(b.by_model)])].sort();
  const byModel: { [model: string]: UsageTotals } = {};
  for (const model of models) byModel[model] = addTotals(a.by_model[model] ?? zeroTotals(), b.by_model[model] ?? zeroTotals());
  const sum: JobUsage = { ...addTotals(totalsOf(a), totalsOf(b)), by_model: byModel };
  if (a.compute_cost_usd !== undefined || b.compute_cost_usd !== undefined) {
    sum.compute_seconds = (a.compute_seconds ?? 0) + (b.compute_seconds ?? 0);
    sum.compute_cost_usd = roundUsd((a.compute_cost_usd ?? 0) + (b.compute_cost_usd ?? 0));
  }
  return sum;
}

/** The totals of `usage` without its per-model breakdown. */
export function totalsOf(usage: UsageTotals): UsageTotals {
  const { calls, input_tokens, output_tokens, cache_write_tokens, cache_read_tokens, cost_usd } = usage;
  return { calls, input_tokens, output_tokens, cache_write_tokens, cache_read_tokens, cost_usd };
}

function emptyUsage(): JobUsage {
  return { ...zeroTotals(), by_model: {} };
}

/** What one attempt spent: its model calls' usage (null: none) and the last rate-limit headers it saw. */
export interface AttemptSpend {
  usage: JobUsage | null;
  rateLimits: JsonObject | null;
}

/** A job record's spend fields (`Job['usage']`, `Job['rateLimits']`). */
export interface SpendFields {
  usage: JobUsage | null;
  rateLimits: JsonObject | null;
}

/** The record's fields once `spent` is added to what `job` already holds from earlier attempts. */
export function withSpend(job: SpendFields, spent: AttemptSpend): SpendFields {
  return { usage: addUsage(job.usage, spent.usage), rateLimits: spent.rateLimits ?? job.rateLimits };
}
