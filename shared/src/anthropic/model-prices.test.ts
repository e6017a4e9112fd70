import assert from 'node:assert/strict';
import { test } from 'vitest';
import { costAtPrice, costUsd, DEFAULT_MODEL, DEFAULT_MODEL_PRICES, parseModelPrices, priceOf } from './model-prices.ts';

const usage = (inputTokens: number, outputTokens: number, cacheWriteTokens = 0, cacheReadTokens = 0) => ({
  inputTokens,
  outputTokens,
  cacheWriteTokens,
  cacheReadTokens,
});

test('a call costs each token class at its own rate per million tokens', () => {
  // Sonnet 4.6: $3 in, $15 out, $3.75 cache write, $0.30 cache read.
  assert.equal(costUsd('claude-sonnet-4-6', usage(1_000_000, 0)), 3);
  assert.equal(costUsd('claude-sonnet-4-6', usage(0, 1_000_000)), 15);
  assert.equal(costUsd('claude-sonnet-4-6', usage(0, 0, 1_000_000)), 3.75);
  assert.equal(costUsd('claude-sonnet-4-6', usage(0, 0, 0, 1_000_000)), 0.3);
  // 1200 in, 350 out, 2000 written, 8000 read: 0.0036 + 0.00525 + 0.0075 + 0.0024
  assert.equal(costUsd('claude-sonnet-4-6', usage(1200, 350, 2000, 8000)), 0.01875);
});

test('costs are exact to a billionth of a dollar despite binary fractions', () => {
  // Haiku 5.5 reads the cache at $0.01/MTok: 7 tokens cost 7e-8, not 7.000000000000001e-8.
  assert.equal(costUsd('claude-haiku-5-5', usage(0, 0, 0, 7)), 0.00000007);
  assert.equal(costUsd('claude-haiku-5-5', usage(3, 0)), 0.0000003);
});

test('a prompt over the long-prompt threshold bills the whole request at the long rates', () => {
  const at = costUsd('claude-haiku-5-5', usage(100_000, 1000));
  const over = costUsd('claude-haiku-5-5', usage(60_000, 1000, 0, 40_001));
  assert.equal(at, 0.0105); // 100k x 0.10 + 1k x 0.50, per million
  assert.equal(over, 0.03450005); // 60k x 0.50 + 1k x 2.50 + 40,001 x 0.05, per million
});

test('a dated snapshot id is priced as its alias; an unknown model has no price', () => {
  assert.deepEqual(priceOf('claude-opus-4-8-20260301'), DEFAULT_MODEL_PRICES['claude-opus-4-8']);
  assert.equal(priceOf('claude-unknown-9'), null);
  assert.throws(() => costUsd('claude-unknown-9', usage(1, 1)), /no price is configured for model "claude-unknown-9"/);
});

test('the default model is priced', () => {
  assert.ok(priceOf(DEFAULT_MODEL));
});

test('costAtPrice uses the given price, e.g. an override', () => {
  assert.equal(costAtPrice({ input: 1, output: 2, cacheWrite: 3, cacheRead: 4 }, usage(10, 10, 10, 10)), 0.0001);
});

test('price overrides parse from model=in/out/write/read entries', () => {
  const parsed = parseModelPrices(' claude-sonnet-5-5=2/10/2.5/0.1 ; my-model=1/5/1.25/0.10;');
  assert.deepEqual(parsed.problems, []);
  assert.deepEqual(parsed.prices, {
    'claude-sonnet-5-5': { input: 2, output: 10, cacheWrite: 2.5, cacheRead: 0.1 },
    'my-model': { input: 1, output: 5, cacheWrite: 1.25, cacheRead: 0.1 },
  });
});

test('a malformed price entry is a problem naming the entry', () => {
  for (const bad of ['claude-x=1/2/3', 'claude-x=1/2/3/four', '=1/2/3/4', 'claude-x=1/2/-3/4', 'claude-x 1/2/3/4']) {
    const parsed = parseModelPrices(bad);
    assert.equal(parsed.problems.length, 1, bad);
    assert.ok(parsed.problems[0]!.includes(bad.trim()), parsed.problems[0]);
  }
});
