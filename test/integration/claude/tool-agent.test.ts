/** tool_agent's loop against the fake Messages API through the real SDK, with the real tools. */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, test } from 'vitest';
import type { JsonObject, JsonValue } from '@agent-runner/shared/domain/job.ts';
import type { ChildJobRequest, ChildJobRunner } from '@agent-runner/worker/handlers/job-handler.ts';
import { toolAgentHandler } from '@agent-runner/worker/handlers/tool-agent.ts';
import { reply, startFakeAnthropic, type FakeAnthropic, type RecordedRequest } from '../../support/fake-anthropic.ts';
import { handlerContext } from '../../support/handler-context.ts';
import { toolAgentJobType } from '@agent-runner/shared/job-types/tool-agent.ts';

let fake: FakeAnthropic;
let site: Server;
let siteUrl: string;
beforeAll(async () => {
  fake = await startFakeAnthropic();
  site = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`page at ${req.url}: the answer is 42`);
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await fake.close();
  await new Promise<void>((resolve) => site.close(() => resolve()));
});
beforeEach(() => {
  fake.reset();
  fake.respondWith(() => reply.badRequest('nothing scripted for this request'));
});

const env = (extra: Record<string, string> = {}) => ({ ANTHROPIC_BASE_URL: fake.url, ANTHROPIC_API_KEY: 'sk-test', ...extra });
const parse = (payload: JsonObject) => toolAgentJobType.payloadSchema.parse(payload);
const messagesOf = (request: RecordedRequest) => request.body.messages as JsonObject[];

test('the agent runs the calculator over several turns until the model ends its turn', async () => {
  fake.enqueue(
    reply.toolUse([{ name: 'calculator', input: { expression: '1234.5 * 0.15' }, id: 'toolu_a' }], { text: 'Computing the tip.' }),
    reply.toolUse([
      { name: 'calculator', input: { expression: '1234.5 + 185.175' }, id: 'toolu_b' },
      { name: 'calculator', input: { expression: '1/0' }, id: 'toolu_c' },
    ]),
    reply.text('The tip is 185.175 and the total 1419.675.'),
  );
  const t = handlerContext(env());

  const result = (await toolAgentHandler.run(
    parse({ prompt: 'Tip of 15% on 1234.5, and the total?', tools: ['calculator'] }),
    t.ctx,
  )) as JsonObject;

  assert.equal(result.outcome, 'completed');
  assert.equal(result.response, 'The tip is 185.175 and the total 1419.675.');
  assert.equal(result.turns, 3);
  assert.equal(fake.requests.length, 3);

  // What the model was offered: the calculator's definition, as a JSON Schema object.
  const tools = fake.requests[0]!.body.tools as JsonObject[];
  assert.equal(tools.length, 1);
  assert.equal(tools[0]!.name, 'calculator');
  const schema = tools[0]!.input_schema as JsonObject;
  assert.equal(schema.type, 'object');
  assert.deepEqual(schema.required, ['expression']);
  assert.equal(schema.$schema, undefined);

  // Turn 2 carries the assistant's tool call and the tool's result back.
  const second = messagesOf(fake.requests[1]!);
  assert.equal(second.length, 3);
  assert.equal(second[1]!.role, 'assistant');
  const call = (second[1]!.content as JsonObject[]).find((b) => b.type === 'tool_use')!;
  assert.deepEqual([call.id, call.name, call.input], ['toolu_a', 'calculator', { expression: '1234.5 * 0.15' }]);
  assert.deepEqual(second[2], {
    role: 'user',
    content: [{ type: 'tool_result', tool_use_id: 'toolu_a', content: '{"expression":"1234.5 * 0.15","result":185.175}' }],
  });
  // Turn 3: two results in one user turn; the failed one is marked as an error for the model.
  const third = messagesOf(fake.requests[2]!);
  const results = third[4]!.content as JsonObject[];
  assert.equal(results.length, 2);
  assert.equal(results[0]!.content, '{"expression":"1234.5 + 185.175","result":1419.675}');
  assert.equal(results[1]!.tool_use_id, 'toolu_c');
  assert.equal(results[1]!.is_error, true);
  assert.match(String(results[1]!.content), /division by zero/);

  const calls = result.tool_calls as JsonObject[];
  assert.deepEqual(
    calls.map((c) => [c.turn, c.name, c.is_error]),
    [
      [1, 'calculator', false],
      [2, 'calculator', false],
      [2, 'calculator', true],
    ],
  );
  assert.equal(t.eventsOf('tool_call').length, 3);
  assert.equal(t.eventsOf('tool_result').length, 3);
  assert.equal(
    t
      .eventsOf('text_delta')
      .map((d) => d.text)
      .join(''),
    'Computing the tip.The tip is 185.175 and the total 1419.675.',
  );
  assert.equal((result.usage as JsonObject).calls, 3);
});

test('the loop stops before a call that would certainly exceed max_cost_usd, keeping what was produced', async () => {
  // $1 per million tokens of every kind: each call costs (input + output) / 1e6.
  const priced = env({ AGENT_RUNNER_MODEL_PRICES: 'claude-sonnet-5-5=1/1/1/1' });
  fake.enqueue(
    reply.toolUse([{ name: 'calculator', input: { expression: '2+2' } }], { usage: { input_tokens: 100_000, output_tokens: 10_000 } }),
    reply.toolUse([{ name: 'calculator', input: { expression: '4*4' } }], { usage: { input_tokens: 120_000, output_tokens: 10_000 } }),
    reply.text('never requested'),
  );
  const t = handlerContext(priced);

  // Spent after two calls: 0.11 + 0.13 = 0.24. The third call re-sends at least the second's
  // 120,000-token prompt: >= 0.12 more, so 0.36 > 0.30 and it is not made.
  const result = (await toolAgentHandler.run(
    parse({ prompt: 'Compute things.', tools: ['calculator'], max_cost_usd: 0.3 }),
    t.ctx,
  )) as JsonObject;

  assert.equal(result.outcome, 'budget_exceeded');
  assert.equal(fake.requests.length, 2);
  assert.equal(result.cost_usd, 0.24);
  assert.equal(result.turns, 2);
  assert.equal((result.tool_calls as JsonObject[]).length, 2, 'both tool calls ran and are reported');
  const [stop] = t.eventsOf('budget_exceeded');
  assert.equal(stop?.spent_usd, 0.24);
  assert.ok(Number(stop?.next_call_minimum_usd) >= 0.12);
  assert.equal(stop?.max_cost_usd, 0.3);
});

test('max_turns ends a loop the model would not end', async () => {
  fake.respondWith(() => reply.toolUse([{ name: 'calculator', input: { expression: '1+1' } }]));
  const t = handlerContext(env());
  const result = (await toolAgentHandler.run(parse({ prompt: 'Loop.', tools: ['calculator'], max_turns: 2 }), t.ctx)) as JsonObject;
  assert.equal(result.outcome, 'max_turns');
  assert.equal(fake.requests.length, 2);
  assert.equal((result.tool_calls as JsonObject[]).length, 2);
});

test('a tool the job did not offer is answered with an error result, and the loop goes on', async () => {
  fake.enqueue(reply.toolUse([{ name: 'shell', input: { command: 'rm -rf /' }, id: 'toolu_x' }]), reply.text('Understood.'));
  const t = handlerContext(env());
  const result = (await toolAgentHandler.run(parse({ prompt: 'Do it.', tools: ['calculator'] }), t.ctx)) as JsonObject;
  assert.equal(result.outcome, 'completed');
  const sent = (messagesOf(fake.requests[1]!)[2]!.content as JsonObject[])[0]!;
  assert.equal(sent.is_error, true);
  assert.equal(sent.content, 'there is no tool named "shell"');
});

test('http_get fetches from an allowed host and refuses others, through the agent', async () => {
  fake.enqueue(
    reply.toolUse([
      { name: 'http_get', input: { url: `${siteUrl}/facts` }, id: 'toolu_ok' },
      { name: 'http_get', input: { url: 'http://example.com/' }, id: 'toolu_no' },
    ]),
    reply.text('42.'),
  );
  // The site is on loopback: private addresses allowed, as in local development.
  const t = handlerContext(env({ AGENT_RUNNER_HTTP_GET_ALLOWED_HOSTS: '127.0.0.1', AGENT_RUNNER_HTTP_GET_ALLOW_PRIVATE: 'true' }));
  const result = (await toolAgentHandler.run(parse({ prompt: 'Look it up.', tools: ['http_get'] }), t.ctx)) as JsonObject;
  const [ok, refused] = result.tool_calls as JsonObject[];
  assert.equal(ok!.is_error, false);
  assert.equal((ok!.output as JsonObject).body, 'page at /facts: the answer is 42');
  assert.equal((ok!.output as JsonObject).status, 200);
  assert.equal(refused!.is_error, true);
  assert.match(String(refused!.output), /host "example.com" is not on the http_get allow-list \(127\.0\.0\.1\)/);
});

test('submit_job starts a child job through the context’s runner and returns its result', async () => {
  const started: ChildJobRequest[] = [];
  const childJobs: ChildJobRunner = {
    async runChildJob(request) {
      started.push(request);
      return { jobId: 'child-1', status: 'SUCCEEDED', result: { echoed_message: 'hi' } as JsonValue, error: null, costUsd: 0 };
    },
    spentUsd: () => 0,
  };
  fake.enqueue(
    reply.toolUse([
      { name: 'submit_job', input: { job_type: 'echo', payload: { message: 'hi' } }, id: 'toolu_1' },
      { name: 'submit_job', input: { job_type: 'tool_agent', payload: { prompt: 'recurse' } }, id: 'toolu_2' },
    ]),
    reply.text('Done.'),
  );
  const t = handlerContext(env(), { extra: { childJobs } });
  const result = (await toolAgentHandler.run(parse({ prompt: 'Echo hi.', tools: ['submit_job'] }), t.ctx)) as JsonObject;
  assert.deepEqual(started, [{ jobType: 'echo', payload: { message: 'hi' } }]);
  const [echo, recursive] = result.tool_calls as JsonObject[];
  assert.deepEqual(echo!.output, { job_id: 'child-1', status: 'SUCCEEDED', result: { echoed_message: 'hi' }, error: null, cost_usd: 0 });
  assert.equal(recursive!.is_error, true);
  assert.match(String(recursive!.output), /cannot start a tool_agent job/);
});

test('max_cost_usd counts what the jobs the agent started spent, not only its own calls', async () => {
  // $1 per million tokens: the agent's first call costs 0.11; the child it starts spends 0.25.
  const priced = env({ AGENT_RUNNER_MODEL_PRICES: 'claude-sonnet-5-5=1/1/1/1' });
  let childSpent = 0;
  // The runner is the worker's boundary to the job system (tested against the real stores in
  // child-jobs.test.ts); here it reports a child that spent 0.25.
  const childJobs: ChildJobRunner = {
    async runChildJob() {
      childSpent = 0.25;
      return { jobId: 'child-1', status: 'SUCCEEDED', result: { summary: 'done' } as JsonValue, error: null, costUsd: 0.25 };
    },
    spentUsd: () => childSpent,
  };
  fake.enqueue(
    reply.toolUse([{ name: 'submit_job', input: { job_type: 'research', payload: { topic: 'tides' } } }], {
      usage: { input_tokens: 100_000, output_tokens: 10_000 },
    }),
    reply.text('never requested'),
  );
  const t = handlerContext(priced, { extra: { childJobs } });
  // Alone, 0.11 + at least 0.10 for the next call fits in 0.40; with the child's 0.25 it does not.
  const result = (await toolAgentHandler.run(
    parse({ prompt: 'Research tides.', tools: ['submit_job'], max_cost_usd: 0.4 }),
    t.ctx,
  )) as JsonObject;
  assert.equal(result.outcome, 'budget_exceeded');
  assert.equal(fake.requests.length, 1);
  assert.equal(result.cost_usd, 0.11, 'the agent’s own calls');
  assert.equal(result.child_jobs_cost_usd, 0.25);
  const [call] = result.tool_calls as JsonObject[];
  assert.equal((call!.output as JsonObject).cost_usd, 0.25, 'the model is told what the child cost');
  const [stop] = t.eventsOf('budget_exceeded');
  assert.equal(stop?.spent_usd, 0.36);
});

test('aborting the job (its deadline) stops the loop mid-call with the signal’s reason', async () => {
  fake.enqueue(
    reply.toolUse([{ name: 'calculator', input: { expression: '1+1' } }]),
    reply.text(Array.from({ length: 300 }, (_, i) => `w${i}`).join(' '), { eventDelayMs: 10 }),
  );
  const t = handlerContext(env());
  const reason = new Error('aborted: timeout');
  const running = toolAgentHandler.run(parse({ prompt: 'Go.', tools: ['calculator'] }), t.ctx);
  const deadline = Date.now() + 5000;
  while (t.eventsOf('text_delta').filter((d) => d.turn === 2).length < 2) {
    if (Date.now() > deadline) throw new Error('turn 2 never started streaming');
    await new Promise((r) => setTimeout(r, 5));
  }
  t.abort.abort(reason);
  await assert.rejects(running, (error: unknown) => error === reason);
});

test('payloads: unknown tool names are refused by the schema; http_get without an allow-list at submit', () => {
  const bad = toolAgentJobType.payloadSchema.safeParse({ prompt: 'x', tools: ['calculator', 'shell'] });
  assert.equal(bad.success, false);
  assert.match(JSON.stringify(bad.error?.issues), /calculator.*http_get.*submit_job/);
  assert.equal(toolAgentJobType.payloadSchema.safeParse({ prompt: 'x', tools: [] }).success, false);
  assert.equal(toolAgentJobType.payloadSchema.safeParse({ prompt: 'x', tools: ['calculator', 'calculator'] }).success, false);

  const t = handlerContext(env());
  assert.deepEqual(
    toolAgentJobType.checkPayload?.(toolAgentJobType.payloadSchema.parse({ prompt: 'x', tools: ['calculator'] }), t.config),
    [],
  );
  const problems =
    toolAgentJobType.checkPayload?.(toolAgentJobType.payloadSchema.parse({ prompt: 'x', tools: ['http_get'], model: 'gpt-9' }), t.config) ??
    [];
  assert.deepEqual(
    problems.map((p) => p.path),
    ['model', 'tools'],
  );
});
