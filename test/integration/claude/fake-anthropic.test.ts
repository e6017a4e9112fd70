/** The fake speaks the Messages API as the real SDK parses it: JSON, SSE, tool use, errors. */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import Anthropic, { AuthenticationError, BadRequestError } from '@anthropic-ai/sdk';
import { reply, startFakeAnthropic, type FakeAnthropic } from '../../support/fake-anthropic.ts';

let fake: FakeAnthropic;
let client: Anthropic;

beforeAll(async () => {
  fake = await startFakeAnthropic({ apiKey: 'sk-test' });
  client = new Anthropic({ apiKey: 'sk-test', baseURL: fake.url, maxRetries: 0, logLevel: 'off' });
});
afterAll(() => fake.close());

const base = { model: 'claude-sonnet-5-5', max_tokens: 100, messages: [{ role: 'user' as const, content: 'hi' }] };

test('a non-streaming request gets a JSON Message with usage, cache counts and rate-limit headers', async () => {
  fake.enqueue(
    reply.text('Hello there.', {
      usage: { input_tokens: 12, output_tokens: 4, cache_read_input_tokens: 100, cache_creation_input_tokens: 50 },
    }),
  );
  const { data: message, response } = await client.messages.create(base).withResponse();
  assert.equal(message.type, 'message');
  assert.equal(message.model, 'claude-sonnet-5-5');
  assert.deepEqual(message.content, [{ type: 'text', text: 'Hello there.', citations: null }]);
  assert.equal(message.stop_reason, 'end_turn');
  assert.equal(message.usage.input_tokens, 12);
  assert.equal(message.usage.output_tokens, 4);
  assert.equal(message.usage.cache_read_input_tokens, 100);
  assert.equal(message.usage.cache_creation_input_tokens, 50);
  assert.equal(response.headers.get('anthropic-ratelimit-requests-limit'), '4000');
  const sent = fake.requests.at(-1)!;
  assert.equal(sent.headers.authorization, 'Bearer sk-test');
  assert.ok(sent.headers['anthropic-version']);
  assert.deepEqual(sent.body, base);
});

test('a streamed message arrives as several text deltas and the SDK assembles the same Message', async () => {
  fake.enqueue(reply.text('One two three four five.', { usage: { input_tokens: 30, output_tokens: 9 } }));
  const deltas: string[] = [];
  const stream = client.messages.stream(base).on('text', (text) => deltas.push(text));
  const message = await stream.finalMessage();
  assert.ok(deltas.length >= 5, `expected several deltas, got ${deltas.length}`);
  assert.equal(deltas.join(''), 'One two three four five.');
  assert.equal(await stream.finalText(), 'One two three four five.');
  assert.equal(message.stop_reason, 'end_turn');
  assert.equal(message.usage.input_tokens, 30);
  assert.equal(message.usage.output_tokens, 9);
  assert.equal(fake.requests.at(-1)!.body.stream, true);
});

test('tool_use blocks stream their input as partial JSON that the SDK parses', async () => {
  const input = { expression: '(2 + 3) * 7 - 1', note: 'a longer input so it spans several deltas' };
  fake.enqueue(reply.toolUse([{ name: 'calculator', input, id: 'toolu_1' }], { text: 'Let me compute.' }));
  const message = await client.messages.stream(base).finalMessage();
  assert.equal(message.stop_reason, 'tool_use');
  assert.equal(message.content.length, 2);
  const [text, call] = message.content;
  assert.equal(text?.type === 'text' && text.text, 'Let me compute.');
  assert.ok(call?.type === 'tool_use');
  assert.equal(call.id, 'toolu_1');
  assert.equal(call.name, 'calculator');
  assert.deepEqual(call.input, input);
});

test('errors arrive in the API error shape and become the SDK error classes', async () => {
  fake.enqueue(reply.badRequest('max_tokens: too large'));
  await assert.rejects(client.messages.create(base), (error: unknown) => {
    assert.ok(error instanceof BadRequestError);
    assert.equal(error.apiMessage, 'max_tokens: too large');
    assert.equal(error.type, 'invalid_request_error');
    assert.ok(error.requestID?.startsWith('req_fake_'));
    return true;
  });
  const wrongKey = new Anthropic({ apiKey: 'sk-wrong', baseURL: fake.url, maxRetries: 0, logLevel: 'off' });
  await assert.rejects(wrongKey.messages.create(base), AuthenticationError);
});

test('an error event inside a stream fails the stream with the API error type', async () => {
  fake.enqueue(reply.streamError('overloaded_error', 'Overloaded', 'partial answer'));
  const deltas: string[] = [];
  await assert.rejects(
    client.messages
      .stream(base)
      .on('text', (t) => deltas.push(t))
      .finalMessage(),
    (error: unknown) => error instanceof Anthropic.APIError && error.status === undefined && error.type === 'overloaded_error',
  );
  assert.equal(deltas.join(''), 'partial answer');
});

test('a request with nothing scripted is refused rather than left hanging', async () => {
  await assert.rejects(client.messages.create(base), /no reply scripted/);
});
