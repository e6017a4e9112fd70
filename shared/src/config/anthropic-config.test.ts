import assert from 'node:assert/strict';
import { test } from 'vitest';
import { DEFAULT_MODEL } from '../anthropic/model-prices.ts';
import { ConfigError, loadConfig } from './config.ts';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return [...error.problems];
  }
  assert.fail('expected a ConfigError');
}

test('by default every priced model is allowed and the default model is the current Sonnet', () => {
  const { anthropic, tools } = loadConfig({});
  assert.equal(anthropic.defaultModel, DEFAULT_MODEL);
  assert.ok(anthropic.allowedModels.includes(DEFAULT_MODEL));
  assert.deepEqual(anthropic.allowedModels, Object.keys(anthropic.prices));
  assert.equal(anthropic.maxRetries, 4);
  assert.deepEqual(tools.httpGetAllowedHosts, []);
  assert.equal(tools.httpGetAllowPrivate, false);
});

test('model choices, price overrides and http_get hosts come from the environment', () => {
  const { anthropic, tools } = loadConfig({
    AGENT_RUNNER_DEFAULT_MODEL: 'house-model',
    AGENT_RUNNER_ALLOWED_MODELS: 'house-model, claude-haiku-4-5',
    AGENT_RUNNER_MODEL_PRICES: 'house-model=1/2/1.25/0.1;claude-haiku-4-5=0.9/4.5/1.1/0.09',
    AGENT_RUNNER_ANTHROPIC_MAX_RETRIES: '1',
    AGENT_RUNNER_HTTP_GET_ALLOWED_HOSTS: 'example.com, api.example.org',
    AGENT_RUNNER_HTTP_GET_ALLOW_PRIVATE: 'true',
  });
  assert.equal(anthropic.defaultModel, 'house-model');
  assert.deepEqual(anthropic.allowedModels, ['house-model', 'claude-haiku-4-5']);
  assert.deepEqual(anthropic.prices['claude-haiku-4-5'], { input: 0.9, output: 4.5, cacheWrite: 1.1, cacheRead: 0.09 });
  assert.deepEqual(anthropic.prices['house-model'], { input: 1, output: 2, cacheWrite: 1.25, cacheRead: 0.1 });
  assert.equal(anthropic.maxRetries, 1);
  assert.deepEqual(tools.httpGetAllowedHosts, ['example.com', 'api.example.org']);
  assert.equal(tools.httpGetAllowPrivate, true);
});

test('an allowed model without a price is refused, naming it', () => {
  const problems = problemsOf({ AGENT_RUNNER_ALLOWED_MODELS: `${DEFAULT_MODEL},claude-fable-5-2` });
  assert.deepEqual(problems.length, 1);
  assert.match(problems[0]!, /^AGENT_RUNNER_ALLOWED_MODELS: no price for claude-fable-5-2/);
});

test('a default model that is not allowed is refused', () => {
  const problems = problemsOf({ AGENT_RUNNER_ALLOWED_MODELS: 'claude-haiku-4-5' });
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /^AGENT_RUNNER_DEFAULT_MODEL: "claude-sonnet-5-5" is not among the allowed models/);
});

test('a malformed price list names the variable', () => {
  const problems = problemsOf({ AGENT_RUNNER_MODEL_PRICES: 'claude-x=1/2' });
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /^AGENT_RUNNER_MODEL_PRICES: expected model=input\/output\/cacheWrite\/cacheRead/);
});
