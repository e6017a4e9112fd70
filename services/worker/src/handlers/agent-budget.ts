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
