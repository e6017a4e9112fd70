/** claude_chat's `run` against the fake Messages API through the real SDK. */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { FatalError } from '@agent-runner/shared/domain/errors.ts';
import type { JsonObject } from '@agent-runner/shared/domain/job.ts';
import { claudeChatHandler } from '@agent-runner/worker/handlers/claude-chat.ts';
import { reply, startFakeAnthropic, type FakeAnthropic } from '../../support/fake-anthropic.ts';
import { handlerContext } from '../../support/handler-context.ts';
import { claudeChatJobType } from '@agent-runner/shared/job-types/claude-chat.ts';

let fake: FakeAnthropic;
beforeAll(async () => {
  fake = await startFakeAnthropic({ apiKey: 'sk-chat' });
});
afterAll(() => fake.close());

const env = () => ({ ANTHROPIC_BASE_URL: fake.url, ANTHROPIC_API_KEY: 'sk-chat' });

test('a prompt is answered; the streamed deltas reassemble into the response, priced in the result', async () => {
  const answer = 'Paris is the capital of France. It sits on the Seine.';
  fake.enqueue(
    reply.text(answer, {
      usage: { input_tokens: 1200, output_tokens: 350, cache_creation_input_tokens: 2000, cache_read_input_tokens: 8000 },
    }),
  );
  const t = handlerContext(env());

  const result = (await claudeChatHandler.run({ prompt: 'What is the capital of France?' }, t.ctx)) as JsonObject;

  const deltas = t.eventsOf('text_delta').map((d) => d.text);
  assert.ok(deltas.length > 3, 'the reply arrives in several deltas');
  assert.equal(deltas.join(''), answer);
  assert.equal(result.response, answer);
  assert.equal(result.model, 'claude-sonnet-5-5');
  assert.equal(result.stop_reason, 'end_turn');
  // Sonnet 5.5 list prices: $2 in, $10 out, $2.50 cache write, $0.10 cache read per million tokens.
  const cost = (1200 * 2 + 350 * 10 + 2000 * 2.5 + 8000 * 0.1) / 1e6;
  assert.equal(result.cost_usd, cost);
  assert.deepEqual(result.usage, {
    calls: 1,
    input_tokens: 1200,
    output_tokens: 350,
    cache_write_tokens: 2000,
    cache_read_tokens: 8000,
    cost_usd: cost,
    by_model: {
      'claude-sonnet-5-5': {
        calls: 1,
        input_tokens: 1200,
        output_tokens: 350,
        cache_write_tokens: 2000,
        cache_read_tokens: 8000,
        cost_usd: cost,
      },
    },
  });
  const limits = result.rate_limits as JsonObject;
  assert.equal(limits['requests-limit'], '4000');
  assert.equal(typeof limits['requests-remaining'], 'string');

  const sent = fake.requests.at(-1)!;
  assert.equal(sent.headers.authorization, 'Bearer sk-chat');
  assert.deepEqual(sent.body, {
    model: 'claude-sonnet-5-5',
    max_tokens: 1024,
    messages: [{ role: 'user', content: 'What is the capital of France?' }],
    stream: true,
  });
  const [call] = t.eventsOf('model_call');
  assert.equal(call?.cost_usd, cost);
  assert.equal(call?.stop_reason, 'end_turn');
});

test('a conversation with a system prompt, model and temperature is sent as given', async () => {
  fake.enqueue(reply.text('Four.', { model: 'claude-haiku-4-5-20251001', usage: { input_tokens: 40, output_tokens: 2 } }));
  const t = handlerContext(env());
  const messages = [
    { role: 'user' as const, content: 'What is 2 + 2?' },
    { role: 'assistant' as const, content: 'Do you want words or digits?' },
    { role: 'user' as const, content: 'Words.' },
  ];

  const payload = claudeChatJobType.payloadSchema.parse({
    messages,
    system: 'Be terse.',
    model: 'claude-haiku-4-5',
    temperature: 0.2,
    max_tokens: 50,
  });
  const result = (await claudeChatHandler.run(payload, t.ctx)) as JsonObject;

  assert.deepEqual(fake.requests.at(-1)!.body, {
    model: 'claude-haiku-4-5',
    max_tokens: 50,
    messages,
    system: 'Be terse.',
    temperature: 0.2,
    stream: true,
  });
  // The response names the snapshot that served it; it is priced as its alias (Haiku 4.5: $1 / $5).
  assert.equal(result.model, 'claude-haiku-4-5-20251001');
  assert.equal(result.cost_usd, (40 * 1 + 2 * 5) / 1e6);
});

test('payloads: prompt xor messages, a conversation starts with the user, max_tokens defaults to 1024', () => {
  const schema = claudeChatJobType.payloadSchema;
  assert.equal((schema.parse({ prompt: 'hi' }) as { max_tokens: number }).max_tokens, 1024);
  assert.equal(schema.safeParse({}).success, false);
  assert.equal(schema.safeParse({ prompt: 'hi', messages: [{ role: 'user', content: 'hi' }] }).success, false);
  assert.equal(schema.safeParse({ messages: [{ role: 'assistant', content: 'hi' }] }).success, false);
  assert.equal(schema.safeParse({ prompt: 'hi', temperature: 1.5 }).success, false);
  assert.equal(schema.safeParse({ prompt: 'hi', surprise: true }).success, false);
});

test('a model outside the allowed list is refused at submit time and at run time, before any request', async () => {
  const t = handlerContext({ ...env(), AGENT_RUNNER_ALLOWED_MODELS: 'claude-sonnet-5-5,claude-haiku-4-5' });
  assert.deepEqual(
    claudeChatJobType.checkPayload?.(claudeChatJobType.payloadSchema.parse({ prompt: 'hi', model: 'claude-haiku-4-5' }), t.config),
    [],
  );
  const problems =
    claudeChatJobType.checkPayload?.(claudeChatJobType.payloadSchema.parse({ prompt: 'hi', model: 'claude-opus-4-8' }), t.config) ?? [];
  assert.equal(problems.length, 1);
  assert.equal(problems[0]?.path, 'model');
  assert.match(problems[0]!.message, /model "claude-opus-4-8" is not allowed; allowed: claude-sonnet-5-5, claude-haiku-4-5/);

  const before = fake.requests.length;
  await assert.rejects(claudeChatHandler.run({ prompt: 'hi', model: 'claude-opus-4-8' }, t.ctx), FatalError);
  assert.equal(fake.requests.length, before);
});
