import assert from 'node:assert/strict';
import { test } from 'vitest';
import { claudeJobCost } from './claude-job-cost.ts';

const DEFAULT_MODEL = 'claude-sonnet-5-5';

test("a Claude job costs one request, its max_tokens (or its type's default) and its payload's size in tokens", () => {
  const prompt = 'x'.repeat(300);
  const chat = claudeJobCost({ jobType: 'claude_chat', payload: { prompt, max_tokens: 200 }, payloadRef: null }, DEFAULT_MODEL, 65_536);
  const payloadChars = JSON.stringify({ prompt, max_tokens: 200 }).length;
  assert.deepEqual(chat, {
    model: DEFAULT_MODEL,
    cost: { requests: 1, 'input-tokens': Math.ceil(payloadChars / 3) + 50, 'output-tokens': 200 },
  });
  const code = claudeJobCost(
    {
      jobType: 'claude_code',
      payload: { specification: 'a slugify function', language: 'python', model: 'claude-haiku-4-5' },
      payloadRef: null,
    },
    DEFAULT_MODEL,
    65_536,
  );
  assert.equal(code?.model, 'claude-haiku-4-5');
  assert.equal(code?.cost['output-tokens'], 4096, "claude_code's default max_tokens");
  const large = claudeJobCost({ jobType: 'claude_chat', payload: null, payloadRef: 'payloads/01K' }, DEFAULT_MODEL, 65_536);
  assert.equal(large?.cost['input-tokens'], Math.ceil(65_536 / 3) + 50, 'a payload in the blob store is at least the inline limit');
});

test('other job types are not Claude jobs', () => {
  assert.equal(claudeJobCost({ jobType: 'echo', payload: { message: 'hi' }, payloadRef: null }, DEFAULT_MODEL, 65_536), null);
  assert.equal(claudeJobCost({ jobType: 'sleep', payload: { ms: 5 }, payloadRef: null }, DEFAULT_MODEL, 65_536), null);
});
