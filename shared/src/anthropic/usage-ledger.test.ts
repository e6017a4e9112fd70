import assert from 'node:assert/strict';
import { test } from 'vitest';
import { UsageLedger } from './usage-ledger.ts';

test('the ledger adds up tokens and cost per model and in total', () => {
  const ledger = new UsageLedger();
  ledger.record('claude-a', { inputTokens: 100, outputTokens: 10, cacheWriteTokens: 5, cacheReadTokens: 1 }, 0.1);
  ledger.record('claude-a', { inputTokens: 200, outputTokens: 20, cacheWriteTokens: 0, cacheReadTokens: 50 }, 0.2);
  ledger.record('claude-b', { inputTokens: 1, outputTokens: 2, cacheWriteTokens: 3, cacheReadTokens: 4 }, 0.000000001);

  assert.equal(ledger.totalCostUsd(), 0.300000001);
  assert.deepEqual(ledger.summary(), {
    calls: 3,
    input_tokens: 301,
    output_tokens: 32,
    cache_write_tokens: 8,
    cache_read_tokens: 55,
    cost_usd: 0.300000001,
    by_model: {
      'claude-a': { calls: 2, input_tokens: 300, output_tokens: 30, cache_write_tokens: 5, cache_read_tokens: 51, cost_usd: 0.3 },
      'claude-b': { calls: 1, input_tokens: 1, output_tokens: 2, cache_write_tokens: 3, cache_read_tokens: 4, cost_usd: 0.000000001 },
    },
  });
});

test('an empty ledger costs nothing', () => {
  const ledger = new UsageLedger();
  assert.equal(ledger.totalCostUsd(), 0);
  assert.deepEqual(ledger.summary().by_model, {});
});
