/**
 * How a Claude job fails: what the SDK retries inside the attempt (honouring retry-after), what
 * becomes RetryableError or FatalError for the worker, a missing key, and an abort.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, beforeEach, test } from 'vitest';
import { OverloadedError } from '@anthropic-ai/sdk';
import { StaticSecretSource } from '@agent-runner/shared/adapters/embedded/static-secret-source.ts';
import { FatalError, RetryableError } from '@agent-runner/shared/domain/errors.ts';
import type { JsonObject } from '@agent-runner/shared/domain/job.ts';
import { claudeChatHandler } from '@agent-runner/worker/handlers/claude-chat.ts';
import { reply, startFakeAnthropic, type FakeAnthropic } from '../../support/fake-anthropic.ts';
import { handlerContext } from '../../support/handler-context.ts';

let fake: FakeAnthropic;
beforeAll(async () => {
  fake = await startFakeAnthropic({ apiKey: 'sk-fail' });
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.reset();
});

const env = (extra: Record<string, string> = {}) => ({ ANTHROPIC_BASE_URL: fake.url, ANTHROPIC_API_KEY: 'sk-fail', ...extra });
const prompt = { prompt: 'Say hi.', max_tokens: 1024 };

test('a 429 with retry-after is waited out and retried by the SDK; the job then succeeds', async () => {
  fake.enqueue(reply.rateLimited({ retryAfterSeconds: 1 }), reply.text('Hi!'));
  const t = handlerContext(env());

  const result = (await claudeChatHandler.run(prompt, t.ctx)) as JsonObject;

  assert.equal(result.response, 'Hi!');
  assert.equal(fake.requests.length, 2);
  const [first, second] = fake.requests;
  const waitedMs = second!.receivedAtMs - first!.receivedAtMs;
  assert.ok(waitedMs >= 950, `the SDK waited ${waitedMs} ms; retry-after asked for 1 s`);
  assert.ok(waitedMs < 3000, `the SDK waited ${waitedMs} ms; retry-after asked for 1 s`);
  assert.equal(first!.headers['x-stainless-retry-count'], '0');
  assert.equal(second!.headers['x-stainless-retry-count'], '1');
  assert.equal(t.eventsOf('model_call').length, 1);
});

test('a persistent 529 ends, after the SDK’s retries, as a RetryableError carrying the SDK error', async () => {
  fake.respondWith(() => reply.overloaded({ 'retry-after-ms': '20' }));
  const t = handlerContext(env({ AGENT_RUNNER_ANTHROPIC_MAX_RETRIES: '2' }));
  await assert.rejects(claudeChatHandler.run(prompt, t.ctx), (error: unknown) => {
    assert.ok(error instanceof RetryableError);
    assert.ok(error.cause instanceof OverloadedError);
    assert.match(error.message, /^Anthropic API 529 overloaded_error: Overloaded \(request req_fake_\d+\)$/);
    return true;
  });
  assert.equal(fake.requests.length, 3, 'one request and two retries');
  const [failed] = t.eventsOf('model_call_failed');
  assert.equal(failed?.status, 529);
  assert.equal((failed!.rate_limits as JsonObject)['requests-limit'], '4000');
});

test('a 400 is a FatalError with the provider’s message, and is not retried', async () => {
  fake.enqueue(reply.badRequest('messages.0.content: text content blocks must be non-empty'));
  const t = handlerContext(env());
  await assert.rejects(claudeChatHandler.run(prompt, t.ctx), (error: unknown) => {
    assert.ok(error instanceof FatalError);
    assert.match(error.message, /400 invalid_request_error: messages\.0\.content: text content blocks must be non-empty/);
    return true;
  });
  assert.equal(fake.requests.length, 1);
});

test('a rejected key (401) is a FatalError', async () => {
  const t = handlerContext({ ANTHROPIC_BASE_URL: fake.url, ANTHROPIC_API_KEY: 'sk-revoked' });
  await assert.rejects(claudeChatHandler.run(prompt, t.ctx), (error: unknown) => {
    assert.ok(error instanceof FatalError);
    assert.match(error.message, /401 authentication_error: invalid x-api-key/);
    return true;
  });
  assert.equal(fake.requests.length, 1);
});

test('a mid-stream overloaded error event is a RetryableError', async () => {
  fake.enqueue(reply.streamError('overloaded_error', 'Overloaded', 'Hel'));
  const t = handlerContext(env());
  await assert.rejects(claudeChatHandler.run(prompt, t.ctx), RetryableError);
  assert.equal(
    t
      .eventsOf('text_delta')
      .map((d) => d.text)
      .join(''),
    'Hel',
  );
});

test('without an API key the job fails fatally with a clear message, before any request', async () => {
  const t = handlerContext({ ANTHROPIC_BASE_URL: fake.url });
  await assert.rejects(claudeChatHandler.run(prompt, t.ctx), (error: unknown) => {
    assert.ok(error instanceof FatalError);
    assert.equal(error.message, 'no Anthropic API key: ANTHROPIC_API_KEY is not set');
    return true;
  });
  assert.equal(fake.requests.length, 0);
});

test('on the aws backend the key is read from the secret AGENT_RUNNER_ANTHROPIC_SECRET_NAME names', async () => {
  const awsEnv = {
    AGENT_RUNNER_BACKEND: 'aws',
    AGENT_RUNNER_LAUNCHER: 'process',
    AWS_REGION: 'eu-west-1',
    AGENT_RUNNER_QUEUE_URL: 'http://127.0.0.1:1/000/q',
    AGENT_RUNNER_TABLE: 'jobs',
    AGENT_RUNNER_BUCKET: 'bucket',
    ANTHROPIC_BASE_URL: fake.url,
  };
  fake.enqueue(reply.text('From the vault.'));
  const secrets = new StaticSecretSource({ 'prod/anthropic-key': 'sk-fail' });
  const t = handlerContext({ ...awsEnv, AGENT_RUNNER_ANTHROPIC_SECRET_NAME: 'prod/anthropic-key' }, { secrets });
  assert.equal(((await claudeChatHandler.run(prompt, t.ctx)) as JsonObject).response, 'From the vault.');
  assert.equal(fake.requests.at(-1)!.headers.authorization, 'Bearer sk-fail');

  const unnamed = handlerContext(awsEnv, { secrets });
  await assert.rejects(claudeChatHandler.run(prompt, unnamed.ctx), /AGENT_RUNNER_ANTHROPIC_SECRET_NAME is not set/);
  const missing = handlerContext({ ...awsEnv, AGENT_RUNNER_ANTHROPIC_SECRET_NAME: 'prod/other' }, { secrets });
  await assert.rejects(claudeChatHandler.run(prompt, missing.ctx), /no Anthropic API key: Secrets Manager secret "prod\/other" is not set/);
});

test('aborting the job signal stops the stream at once with the signal’s reason', async () => {
  const long = Array.from({ length: 200 }, (_, i) => `word${i}`).join(' ');
  fake.enqueue(reply.text(long, { eventDelayMs: 20 }));
  const t = handlerContext(env());
  const reason = new Error('aborted: cancelled');
  const running = claudeChatHandler.run(prompt, t.ctx);
  const started = Date.now();
  await waitUntil(() => t.eventsOf('text_delta').length >= 2);
  t.abort.abort(reason);
  await assert.rejects(running, (error: unknown) => error === reason);
  assert.ok(Date.now() - started < 2000, 'the abort did not wait for the stream to finish');
  assert.ok(t.eventsOf('text_delta').length < 200);
  assert.equal(t.eventsOf('model_call').length, 0);
});

async function waitUntil(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
