import assert from 'node:assert/strict';
import { test } from 'vitest';
import { minimumCallCostUsd, minimumTokensOf, wouldExceedBudget } from './agent-budget.ts';

const price = { input: 2, output: 10, cacheWrite: 2.5, cacheRead: 0.1 };

test('tokens are estimated low from characters (6 per token at most)', () => {
  assert.equal(minimumTokensOf(0), 0);
  assert.equal(minimumTokensOf(5), 0);
  assert.equal(minimumTokensOf(6000), 1000);
});

test("the next call's minimum is its prompt at the input rate plus one output token", () => {
  assert.equal(minimumCallCostUsd(price, 100_000), 0.20001);
  assert.equal(minimumCallCostUsd(price, 0), 0.00001);
});

test('a call is refused only when even its minimum would pass the budget', () => {
  assert.equal(wouldExceedBudget(0.3, 0.2, 0.5), false);
  assert.equal(wouldExceedBudget(0.3, 0.20001, 0.5), true);
  assert.equal(wouldExceedBudget(0.6, 0, 0.5), true);
});
