/** claude_code and research `run` against the fake Messages API through the real SDK. */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, beforeEach, test } from 'vitest';
import { RetryableError } from '@agent-runner/shared/domain/errors.ts';
import type { JsonObject } from '@agent-runner/shared/domain/job.ts';
import { claudeCodeHandler } from '@agent-runner/worker/handlers/claude-code.ts';
import { researchHandler } from '@agent-runner/worker/handlers/research.ts';
import { reply, startFakeAnthropic, type FakeAnthropic, type RecordedRequest } from '../../support/fake-anthropic.ts';
import { handlerContext } from '../../support/handler-context.ts';
import { claudeCodeJobType } from '@agent-runner/shared/job-types/claude-code.ts';
import { researchJobType } from '@agent-runner/shared/job-types/research.ts';

let fake: FakeAnthropic;
beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.reset();
});

const env = () => ({ ANTHROPIC_BASE_URL: fake.url, ANTHROPIC_API_KEY: 'sk-test' });
const userText = (request: RecordedRequest) => String((request.body.messages as JsonObject[])[0]?.content);

test('claude_code asks an expert in the language for code only, and strips the fence from the reply', async () => {
  const code = 'export function slugify(s: string): string {\n  return s.toLowerCase().replace(/[^a-z0-9]+/g, "-");\n}';
  fake.enqueue(
    reply.text(`Here is the function:\n\n\`\`\`typescript\n${code}\n\`\`\`\n`, { usage: { input_tokens: 300, output_tokens: 60 } }),
  );
  const t = handlerContext(env());

  const payload = claudeCodeJobType.payloadSchema.parse({ specification: 'A slugify(s) function.', language: 'TS' });
  const result = (await claudeCodeHandler.run(payload, t.ctx)) as JsonObject;

  assert.equal(result.code, code);
  assert.equal(result.language, 'typescript');
  assert.equal(result.truncated, false);
  assert.equal((result.usage as JsonObject).output_tokens, 60);
  const sent = fake.requests[0]!.body;
  assert.equal(sent.max_tokens, 4096);
  assert.match(String(sent.system), /expert typescript engineer.*strict TypeScript/);
  assert.match(String(sent.system), /Reply with the code only/);
  assert.equal(userText(fake.requests[0]!), 'A slugify(s) function.');
  assert.ok(t.eventsOf('text_delta').length > 0);
});

test('claude_code marks code cut off at max_tokens as truncated', async () => {
  fake.enqueue(reply.text('```python\ndef f(:\n', { stopReason: 'max_tokens' }));
  const t = handlerContext(env());
  const result = (await claudeCodeHandler.run(
    claudeCodeJobType.payloadSchema.parse({ specification: 'f', language: 'python' }),
    t.ctx,
  )) as JsonObject;
  assert.equal(result.truncated, true);
  assert.equal(result.code, 'def f(:\n');
});

/** Plans five questions (in a fence, after a sentence), answers each slowly, then synthesizes. */
function researchResponder(request: RecordedRequest) {
  const system = String(request.body.system);
  if (system.includes('research planner')) {
    const questions = [
      'What are tides?',
      'What causes tides?',
      'Why are there two tides a day?',
      'How do spring tides differ?',
      'How are tides predicted?',
    ];
    return reply.text(`Here is my plan.\n\`\`\`json\n${JSON.stringify({ questions })}\n\`\`\``);
  }
  if (system.includes('research analyst')) {
    const question = /Question: (.*)$/.exec(userText(request))?.[1] ?? '?';
    return reply.text(`Answer to "${question}" in several words.`, { eventDelayMs: 15 });
  }
  return reply.text('Tides are the ocean answering the moon.');
}

test('research plans 3–5 questions, answers them in parallel within the bound, then synthesizes; every step is recorded', async () => {
  fake.respondWith(researchResponder);
  const t = handlerContext(env());

  const payload = researchJobType.payloadSchema.parse({ topic: 'ocean tides', max_parallel: 2 });
  const result = (await researchHandler.run(payload, t.ctx)) as JsonObject;

  const plan = result.plan as string[];
  assert.ok(plan.length >= 3 && plan.length <= 5);
  assert.equal(plan.length, 5);
  const answers = result.answers as JsonObject[];
  assert.deepEqual(
    answers.map((a) => a.question),
    plan,
  );
  for (const a of answers) assert.equal(a.answer, `Answer to "${String(a.question)}" in several words.`);
  assert.equal(result.synthesis, 'Tides are the ocean answering the moon.');

  assert.equal(fake.requests.length, 7, 'one plan, five answers, one synthesis');
  assert.equal(fake.maxConcurrent, 2, 'answers ran two at a time, never more');
  const synthesisRequest = fake.requests.at(-1)!;
  for (const q of plan) assert.ok(userText(synthesisRequest).includes(q));
  for (const a of answers) assert.ok(userText(synthesisRequest).includes(String(a.answer)));

  const steps = t.eventsOf('research_step').map((s) => `${String(s.step)}:${String(s.status)}`);
  assert.equal(steps[0], 'plan:started');
  assert.equal(steps[1], 'plan:completed');
  assert.equal(steps.filter((s) => s === 'answer:completed').length, 5);
  assert.deepEqual(steps.slice(-2), ['synthesis:started', 'synthesis:completed']);
  const deltaSteps = new Set(t.eventsOf('text_delta').map((d) => d.step));
  assert.deepEqual([...deltaSteps].sort(), ['answer', 'plan', 'synthesis']);
  assert.equal((result.usage as JsonObject).calls, 7);
  assert.equal(t.eventsOf('model_call').length, 7);
});

test('research fails retryably when the plan has fewer than three questions', async () => {
  fake.respondWith(() => reply.text('{"questions": ["Only one?"]}'));
  const t = handlerContext(env());
  await assert.rejects(researchHandler.run(researchJobType.payloadSchema.parse({ topic: 'x' }), t.ctx), (error: unknown) => {
    assert.ok(error instanceof RetryableError);
    assert.match(error.message, /1 usable questions; at least 3/);
    return true;
  });
  assert.equal(fake.requests.length, 1);
});

test('research with max_cost_usd stops before a call that would certainly overrun, parallel answers included, keeping what it has', async () => {
  fake.respondWith(researchResponder);
  // One cent a token: every call the fake answers (25 in, 10 out) costs $0.35; any answer's prompt
  // alone is worth more than $0.30, so after the plan and one answer no second answer fits in $1.
  const t = handlerContext({ ...env(), AGENT_RUNNER_MODEL_PRICES: 'claude-sonnet-5-5=10000/10000/10000/10000' });
  const payload = researchJobType.payloadSchema.parse({ topic: 'ocean tides', max_parallel: 5, max_cost_usd: 1 });
  const result = (await researchHandler.run(payload, t.ctx)) as JsonObject;

  assert.equal(result.outcome, 'budget_exceeded');
  assert.equal((result.plan as string[]).length, 5, 'the plan was made');
  const answers = result.answers as JsonObject[];
  assert.equal(answers.length, 1, 'five answers were ready to start at once; the budget let one');
  assert.equal(result.synthesis, null);
  assert.equal(fake.requests.length, 2);
  assert.equal((result.usage as JsonObject).calls, 2);
  assert.equal(result.cost_usd, 0.7);
  assert.ok(t.eventsOf('budget_exceeded').length >= 1);
  assert.equal(
    t.eventsOf('research_step').some((s) => s.step === 'synthesis'),
    false,
  );
});

test('research within its max_cost_usd completes as usual', async () => {
  fake.respondWith(researchResponder);
  const t = handlerContext(env());
  const result = (await researchHandler.run(
    researchJobType.payloadSchema.parse({ topic: 'ocean tides', max_cost_usd: 5 }),
    t.ctx,
  )) as JsonObject;
  assert.equal(result.outcome, 'completed');
  assert.equal(result.synthesis, 'Tides are the ocean answering the moon.');
  assert.equal(result.max_cost_usd, 5);
});
