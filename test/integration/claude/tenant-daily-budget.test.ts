/**
 * A tenant's daily budget stops running Claude jobs, through the real worker code (runJobAttempt
 * after a dispatcher-style claim) and the real SDK against the fake Messages API, on each backend:
 * the attempt reads the tenant's budget and today's spend when its first call asks, adds its own
 * calls as they complete, sees other workers' spend with its heartbeats, and adds what it spent
 * to the tenant's day.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { createAwsClients } from '@agent-runner/shared/adapters/aws/aws-clients.ts';
import { roundUsd } from '@agent-runner/shared/domain/job-usage.ts';
import { systemClock, ulid } from '@agent-runner/shared/domain/ids.ts';
import type { Job, JsonObject, JsonValue } from '@agent-runner/shared/domain/job.ts';
import { utcDayOf } from '@agent-runner/shared/domain/tenant-quotas.ts';
import { claimForLaunch } from '@agent-runner/shared/domain/transitions.ts';
import { applyTransition } from '@agent-runner/shared/jobs/apply-transition.ts';
import { submitJob } from '@agent-runner/shared/jobs/submit-job.ts';
import { createLogger } from '@agent-runner/shared/observability/logger.ts';
import { runJobAttempt, type WorkerOutcome } from '@agent-runner/worker/run-job-attempt.ts';
import { backendsUnderTest, openBackend, type OpenedBackend } from '../../support/backends.ts';
import { waitFor } from '../../support/wait-for.ts';
import { reply, startFakeAnthropic, type FakeAnthropic, type FakeUsage } from '../../support/fake-anthropic.ts';

const MODEL = 'claude-sonnet-5-5';
const RATES = { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 };
const PRICES = `${MODEL}=${RATES.input}/${RATES.output}/${RATES.cacheWrite}/${RATES.cacheRead}`;
const usage = (input: number, output: number): FakeUsage => ({
  input_tokens: input,
  output_tokens: output,
  cache_creation_input_tokens: 0,
  cache_read_input_tokens: 0,
});
const costOf = (u: FakeUsage) => roundUsd((u.input_tokens * RATES.input + u.output_tokens * RATES.output) / 1e6);
const PLAN = JSON.stringify({ questions: ['Why do tides rise?', 'What is a spring tide?', 'How do tides vary by coast?'] });
const today = () => utcDayOf(new Date());

let fake: FakeAnthropic;
beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterAll(() => fake.close());

for (const target of backendsUnderTest()) {
  describe(`a tenant's daily budget in the worker (${target.name})`, () => {
    let opened: OpenedBackend;

    beforeAll(async () => {
      const secretName = `agent-runner/test/${randomUUID()}`;
      const key = target.name === 'aws' ? { AGENT_RUNNER_ANTHROPIC_SECRET_NAME: secretName } : { ANTHROPIC_API_KEY: 'sk-budget' };
      opened = await openBackend(target, {
        AGENT_RUNNER_HEARTBEAT_SECONDS: '1',
        ANTHROPIC_BASE_URL: fake.url,
        AGENT_RUNNER_ANTHROPIC_MAX_RETRIES: '0',
        AGENT_RUNNER_MODEL_PRICES: PRICES,
        ...key,
      });
      if (opened.config.aws) {
        const clients = createAwsClients(opened.config.aws.region, opened.config.aws.endpoint);
        await clients.secrets.send(new CreateSecretCommand({ Name: secretName, SecretString: 'sk-budget' }));
        clients.destroy();
      }
    });
    afterAll(() => opened?.close());

    async function submit(tenant: string, jobType: string, payload: JsonValue): Promise<Job> {
      const { backend, config } = opened;
      return submitJob(
        {
          jobs: backend.jobs,
          queue: backend.queue,
          blobs: backend.blobs,
          clock: systemClock,
          newId: ulid,
          inlineLimitBytes: config.inlineLimitBytes,
        },
        { jobType, payload, priority: 'normal', tenant, orderingKey: null, maxAttempts: 1, timeoutSeconds: 60 },
      );
    }

    async function runAttempt(jobId: string): Promise<WorkerOutcome> {
      const { backend, config } = opened;
      const claimed = await applyTransition(
        backend.jobs,
        jobId,
        (j) => claimForLaunch(j, new Date(), 30),
        () => new Date(),
      );
      assert.ok(claimed.applied);
      const log = createLogger('worker-test', process.env.AGENT_RUNNER_TEST_LOG_LEVEL ?? 'silent');
      return runJobAttempt(
        { config, backend, clock: systemClock, log, workerId: 'test-worker', random: () => 0 },
        jobId,
        claimed.job.attempt,
      );
    }

    const eventsOf = async (jobId: string, type: string) =>
      (await opened.backend.events.read(jobId, 0, 1000)).filter((e) => e.type === type).map((e) => e.data as JsonObject);

    test('a research job stops with budget_exceeded before the call after the one that reached the budget; its spend is added to the day', async () => {
      fake.reset();
      const tenant = `research-${randomUUID().slice(0, 8)}`;
      const plan = usage(1_000, 10_000); // $0.153
      fake.enqueue(reply.text(PLAN, { usage: plan }));
      await opened.backend.tenants.update(tenant, { budgetUsdPerDay: 0.2 }, new Date());
      await opened.backend.tenantSpend.add(tenant, today(), 0.05);

      const job = await submit(tenant, 'research', { topic: 'tides', max_parallel: 1 });
      assert.equal(await runAttempt(job.jobId), 'succeeded');

      const done = await opened.backend.jobs.get(job.jobId);
      const result = done?.result as JsonObject;
      assert.equal(result.outcome, 'budget_exceeded');
      assert.deepEqual(result.answers, [], 'no answer call went out');
      assert.equal(fake.requests.length, 1, 'only the plan was asked for');
      const [stop] = await eventsOf(job.jobId, 'budget_exceeded');
      assert.equal(stop?.scope, 'tenant_daily');
      assert.equal(stop?.budget_usd_per_day, 0.2);
      assert.equal(stop?.spent_today_usd, roundUsd(0.05 + costOf(plan)));
      assert.equal(
        await opened.backend.tenantSpend.get(tenant, today()),
        roundUsd(0.05 + costOf(plan)),
        "the job's spend is on the tenant's day",
      );
    });

    test("a tool_agent sees another job's spend at its next heartbeat and stops before its next turn", async () => {
      fake.reset();
      const tenant = `agent-${randomUUID().slice(0, 8)}`;
      await opened.backend.tenants.update(tenant, { budgetUsdPerDay: 1 }, new Date());
      let letGo!: () => void;
      const held = new Promise<void>((resolve) => (letGo = resolve));
      fake.respondWith(async () => {
        await held;
        return reply.toolUse([{ name: 'calculator', input: { expression: '6 * 7' } }], { usage: usage(500, 50) });
      });
      const job = await submit(tenant, 'tool_agent', { prompt: 'What is 6 times 7?', tools: ['calculator'], max_turns: 5 });
      const outcome = runAttempt(job.jobId);
      await waitFor('the first turn sent', async () => (fake.requests.length === 1 ? true : undefined), {
        timeoutMs: 10_000,
        intervalMs: 50,
      });
      // While the first turn is out, the tenant's other work spends the rest of its day.
      await opened.backend.tenantSpend.add(tenant, today(), 1);
      await new Promise((resolve) => setTimeout(resolve, 2_500)); // two heartbeats
      letGo();
      assert.equal(await outcome, 'succeeded');

      const result = (await opened.backend.jobs.get(job.jobId))?.result as JsonObject;
      assert.equal(result.outcome, 'budget_exceeded');
      assert.equal(result.turns, 1);
      assert.equal(fake.requests.length, 1, 'the second turn never went out');
      const [stop] = await eventsOf(job.jobId, 'budget_exceeded');
      assert.equal(stop?.scope, 'tenant_daily');
      assert.equal(stop?.turn, 2);
    });

    test('a claude_chat job of a tenant whose day is spent fails without calling the model', async () => {
      fake.reset();
      const tenant = `chat-${randomUUID().slice(0, 8)}`;
      await opened.backend.tenants.update(tenant, { budgetUsdPerDay: 0.5 }, new Date());
      await opened.backend.tenantSpend.add(tenant, today(), 0.5);
      const job = await submit(tenant, 'claude_chat', { prompt: 'Hello?' });
      assert.equal(await runAttempt(job.jobId), 'failed');
      const failed = await opened.backend.jobs.get(job.jobId);
      assert.equal(failed?.status, 'FAILED');
      assert.equal(failed?.error?.kind, 'fatal');
      assert.match(failed?.error?.message ?? '', /daily budget/);
      assert.equal(fake.requests.length, 0);
    });

    test("without a budget nothing is stopped, and the job's spend still counts on the tenant's day", async () => {
      fake.reset();
      const tenant = `free-${randomUUID().slice(0, 8)}`;
      const answer = usage(300, 40);
      fake.enqueue(reply.text('Hi.', { usage: answer }));
      const job = await submit(tenant, 'claude_chat', { prompt: 'Hello?' });
      assert.equal(await runAttempt(job.jobId), 'succeeded');
      assert.equal(await opened.backend.tenantSpend.get(tenant, today()), costOf(answer));
    });
  });
}
