import { costAtPrice, type ModelPrice } from '@agent-runner/shared/anthropic/model-prices.ts';

/**
 * Characters per token, at most, when estimating tokens from text. Claude's tokenizers average
 * about 3.5–4 characters per English token (the newer ones yield more tokens for the same text,
 * not fewer), so dividing by 6 undercounts: a lower bound for the budget check, which must only
 * stop a call that would certainly overrun.
 */
export const MAX_CHARS_PER_TOKEN = 6;

export function minimumTokensOf(chars: number): number {
  return Math.floor(chars / MAX_CHARS_PER_TOKEN);
}

/**
 * The least a call with a prompt of at least `promptTokens` can cost: every prompt token at the
 * input rate (the agent marks nothing for prompt caching, so none is billed as a cheaper cache
 * read) and a single output token.
 */
export function minimumCallCostUsd(price: ModelPrice, promptTokens: number): number {
  return costAtPrice(price, { inputTokens: promptTokens, outputTokens: 1, cacheWriteTokens: 0, cacheReadTokens: 0 });
}

/** Whether a call costing at least `nextMinimumUsd` would take spending past `maxCostUsd`. */
export function wouldExceedBudget(spentUsd: number, nextMinimumUsd: number, maxCostUsd: number): boolean {
  return spentUsd + nextMinimumUsd > maxCostUsd;
}

/**
 * A job's `max_cost_usd` across calls that may run at once: each call reserves its least possible
 * cost before it starts, so parallel calls cannot together slip past a limit none of them saw
 * reached. A call is refused only when spending plus every reservation would certainly exceed it.
 */
export class CostBudget {
  private readonly maxUsd: number | undefined;
  private readonly spentUsd: () => number;
  private readonly price: ModelPrice;
  private reservedUsd = 0;

  constructor(maxUsd: number | undefined, spentUsd: () => number, price: ModelPrice) {
    this.maxUsd = maxUsd;
    this.spentUsd = spentUsd;
    this.price = price;
  }

  /**
   * Reserves the least a call with a prompt of `promptChars` characters can cost. Returns the
   * function that gives the reservation back (call it once the call ended, its cost now spent), or
   * null when the call would certainly take spending past the limit.
   */
  reserve(promptChars: number): (() => void) | null {
    const minimum = minimumCallCostUsd(this.price, minimumTokensOf(promptChars));
    if (this.maxUsd !== undefined && wouldExceedBudget(this.spentUsd() + this.reservedUsd, minimum, this.maxUsd)) return null;
    this.reservedUsd += minimum;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.reservedUsd -= minimum;
    };
  }

  /** What has been spent so far, for the `budget_exceeded` event. */
  spent(): number {
    return this.spentUsd();
  }
}
