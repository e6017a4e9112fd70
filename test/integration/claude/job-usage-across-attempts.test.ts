/**
 * The job record's Claude usage, through the real worker code (runJobAttempt after a
 * dispatcher-style claim) and the real SDK against the fake Messages API, on each backend: a
 * research job whose first attempt makes a call and fails retryably (an unusable plan), and whose
 * second attempt succeeds. The record must hold both attempts' calls, priced from config.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { createAwsClients } from '@agent-runner/shared/adapters/aws/aws-clients.ts';
import { roundUsd } from '@agent-runner/shared/domain/job-usage.ts';
import { systemClock, ulid } from '@agent-runner/shared/domain/ids.ts';
import type { Job, JsonObject } from '@agent-runner/shared/domain/job.ts';
import { claimForLaunch } from '@agent-runner/shared/domain/transitions.ts';
import { applyTransition } from '@agent-runner/shared/jobs/apply-transition.ts';
import { submitJob } from '@agent-runner/shared/jobs/submit-job.ts';
import { createLogger } from '@agent-runner/shared/observability/logger.ts';
import { runJobAttempt, type WorkerOutcome } from '@agent-runner/worker/run-job-attempt.ts';
import { backendsUnderTest, openBackend, type OpenedBackend } from '../../support/backends.ts';
import { waitFor } from '../../support/wait-for.ts';
import { reply, startFakeAnthropic, type FakeAnthropic, type FakeUsage } from '../../support/fake-anthropic.ts';

const MODEL = 'claude-sonnet-5-5';
/** Prices from config, not the built-in list (2/10/2.5/0.1), so the test proves config is used. */
const RATES = { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 };
const PRICES = `${MODEL}=${RATES.input}/${RATES.output}/${RATES.cacheWrite}/${RATES.cacheRead}`;

const usage = (input: number, output: number, write: number, read: number): FakeUsage => ({
  input_tokens: input,
  output_tokens: output,
  cache_creation_input_tokens: write,
  cache_read_input_tokens: read,
});
const costOf = (u: FakeUsage) =>
  roundUsd(
    (u.input_tokens * RATES.input +
      u.output_tokens * RATES.output +
      u.cache_creation_input_tokens * RATES.cacheWrite +
      u.cache_read_input_tokens * RATES.cacheRead) /
      1e6,
  );

const PLAN = JSON.stringify({ questions: ['Why do tides rise?', 'What is a spring tide?', 'How do tides vary by coast?'] });

let fake: FakeAnthropic;
beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterAll(() => fake.close());

for (const target of backendsUnderTest()) {
  describe(`a job's Claude usage across attempts (${target.name})`, () => {
    let opened: OpenedBackend;

    beforeAll(async () => {
      const secretName = `agent-runner/test/${randomUUID()}`;
      const key = target.name === 'aws' ? { AGENT_RUNNER_ANTHROPIC_SECRET_NAME: secretName } : { ANTHROPIC_API_KEY: 'sk-usage' };
      opened = await openBackend(target, {
        AGENT_RUNNER_HEARTBEAT_SECONDS: '1',
        ANTHROPIC_BASE_URL: fake.url,
        AGENT_RUNNER_ANTHROPIC_MAX_RETRIES: '0',
        AGENT_RUNNER_MODEL_PRICES: PRICES,
        // The attempts run in this process: there is no Fargate time to price.
        AGENT_RUNNER_FARGATE_PRICE_VCPU_HOUR: '0',
        AGENT_RUNNER_FARGATE_PRICE_GB_HOUR: '0',
        ...key,
      });
      // On AWS the worker reads the key from Secrets Manager, as a deployed task does.
      if (opened.config.aws) {
        const clients = createAwsClients(opened.config.aws.region, opened.config.aws.endpoint);
        await clients.secrets.send(new CreateSecretCommand({ Name: secretName, SecretString: 'sk-usage' }));
        clients.destroy();
      }
    });
    afterAll(() => opened?.close());

    async function submitResearch(maxAttempts: number): Promise<Job> {
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
        {
          jobType: 'research',
          payload: { topic: 'tides', max_parallel: 1 },
          priority: 'normal',
          tenant: 'acme',
          orderingKey: null,
          maxAttempts,
          timeoutSeconds: 60,
        },
      );
    }

    /** Plays the dispatcher (claim) and a worker (run one attempt). */
    async function runAttempt(jobId: string): Promise<WorkerOutcome> {
      const { backend, config } = opened;
      const claimed = await applyTransition(
        backend.jobs,
        jobId,
        (j) => claimForLaunch(j, new Date(), 30),
        () => new Date(),
      );
      assert.ok(claimed.applied, 'the job was waiting for an attempt');
      const log = createLogger('worker-test', process.env.AGENT_RUNNER_TEST_LOG_LEVEL ?? 'silent');
      return runJobAttempt(
        { config, backend, clock: systemClock, log, workerId: 'test-worker', random: () => 0 },
        jobId,
        claimed.job.attempt,
      );
    }

    async function modelCallEvents(jobId: string): Promise<JsonObject[]> {
      const events = await opened.backend.events.read(jobId, 0, 1000);
      return events.filter((e) => e.type === 'model_call').map((e) => ({ attempt: e.attempt, ...(e.data as JsonObject) }));
    }

    test('the record sums the calls of a failed attempt and of the attempt that succeeded, at the configured prices', async () => {
      fake.reset();
      const calls = {
        badPlan: usage(1_000, 200, 5_000, 0),
        plan: usage(1_100, 150, 0, 5_000),
        answers: [usage(400, 800, 0, 5_000), usage(410, 900, 0, 5_000), usage(420, 1_000, 0, 5_000)],
        synthesis: usage(3_000, 2_000, 0, 0),
      };
      fake.enqueue(
        reply.text('I would rather not plan.', { usage: calls.badPlan }),
        reply.text(PLAN, { usage: calls.plan }),
        ...calls.answers.map((u, i) => reply.text(`Answer ${i + 1}.`, { usage: u })),
        reply.text('The report.', { usage: calls.synthesis }),
      );
      const job = await submitResearch(3);

      assert.equal(await runAttempt(job.jobId), 'requeued');
      const afterFirst = await opened.backend.jobs.get(job.jobId);
      assert.equal(afterFirst?.status, 'QUEUED');
      assert.deepEqual(afterFirst?.usage, {
        calls: 1,
        input_tokens: 1_000,
        output_tokens: 200,
        cache_write_tokens: 5_000,
        cache_read_tokens: 0,
        cost_usd: costOf(calls.badPlan),
        by_model: {
          [MODEL]: {
            calls: 1,
            input_tokens: 1_000,
            output_tokens: 200,
            cache_write_tokens: 5_000,
            cache_read_tokens: 0,
            cost_usd: costOf(calls.badPlan),
          },
        },
      });

      assert.equal(await runAttempt(job.jobId), 'succeeded');
      const done = await opened.backend.jobs.get(job.jobId);
      assert.equal(done?.status, 'SUCCEEDED');
      const all = [calls.badPlan, calls.plan, ...calls.answers, calls.synthesis];
      const sum = (f: (u: FakeUsage) => number) => all.reduce((n, u) => n + f(u), 0);
      const totals = {
        calls: 6,
        input_tokens: sum((u) => u.input_tokens),
        output_tokens: sum((u) => u.output_tokens),
        cache_write_tokens: sum((u) => u.cache_creation_input_tokens),
        cache_read_tokens: sum((u) => u.cache_read_input_tokens),
        cost_usd: all.reduce((usd, u) => roundUsd(usd + costOf(u)), 0),
      };
      assert.deepEqual(done?.usage, { ...totals, by_model: { [MODEL]: totals } });
      assert.ok(totals.cost_usd > 0.1, `a cost worth checking: ${totals.cost_usd}`);

      // The handler's own result covers only its attempt; the record covers both.
      const resultUsage = (done!.result as JsonObject).usage as JsonObject;
      assert.equal(resultUsage.calls, 5);
      assert.equal(resultUsage.cost_usd, roundUsd(totals.cost_usd - costOf(calls.badPlan)));

      // The model_call events (which survive a vanished worker) tell the same story.
      const events = await modelCallEvents(job.jobId);
      assert.deepEqual(
        events.map((e) => e.attempt),
        [1, 2, 2, 2, 2, 2],
      );
      assert.equal(
        events.reduce((usd, e) => roundUsd(usd + Number(e.cost_usd)), 0),
        totals.cost_usd,
      );

      // The last rate-limit headers seen are those of the attempt's last response.
      assert.deepEqual(done?.rateLimits, events.at(-1)?.rate_limits);
      assert.match(String(done?.rateLimits?.['requests-remaining']), /^\d+$/);
    });

    test('an attempt that ends the job in failure still records its calls', async () => {
      fake.reset();
      fake.enqueue(reply.text('{"questions": ["Only one?"]}', { usage: usage(700, 70, 0, 0) }));
      const job = await submitResearch(1);
      assert.equal(await runAttempt(job.jobId), 'failed');
      const failed = await opened.backend.jobs.get(job.jobId);
      assert.equal(failed?.status, 'FAILED');
      assert.equal(failed?.usage?.calls, 1);
      assert.equal(failed?.usage?.cost_usd, costOf(usage(700, 70, 0, 0)));
      assert.notEqual(failed?.rateLimits, null);
    });

    test("a long attempt's calls reach the record with its heartbeats, each counted once when it ends", async () => {
      fake.reset();
      const plan = usage(1_100, 150, 0, 5_000);
      const answer = usage(400, 800, 0, 0);
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      // The plan comes back at once; every later call waits until the test lets it go.
      fake.enqueue(reply.text(PLAN, { usage: plan }));
      fake.respondWith(async () => {
        await held;
        return reply.text('An answer.', { usage: answer });
      });
      const job = await submitResearch(1);
      const outcome = runAttempt(job.jobId);
      try {
        // The worker is still waiting on its second call: only a heartbeat can have written this.
        const midway = await waitFor(
          'the plan call on the record while the attempt runs',
          async () => {
            const seen = await opened.backend.jobs.get(job.jobId);
            return seen?.usage?.calls === 1 ? seen : undefined;
          },
          { timeoutMs: 10_000, intervalMs: 100 },
        );
        assert.equal(midway.status, 'RUNNING');
        assert.equal(midway.usage?.cost_usd, costOf(plan));
        assert.notEqual(midway.rateLimits, null);
      } finally {
        release();
      }
      assert.equal(await outcome, 'succeeded');
      const done = await opened.backend.jobs.get(job.jobId);
      // Plan, three answers, synthesis: each once, though the plan was written by a heartbeat.
      assert.equal(done?.usage?.calls, 5);
      assert.equal(done?.usage?.cost_usd, roundUsd(costOf(plan) + 4 * costOf(answer)));
      assert.equal(done?.usage?.input_tokens, plan.input_tokens + 4 * answer.input_tokens);
    });

    test('a job whose attempt made no model call keeps usage null', async () => {
      fake.reset();
      fake.enqueue(reply.unauthorized());
      const job = await submitResearch(1);
      assert.equal(await runAttempt(job.jobId), 'failed');
      const failed = await opened.backend.jobs.get(job.jobId);
      assert.equal(failed?.usage, null);
      assert.notEqual(failed?.rateLimits, null, 'the refusal carried rate-limit headers');
    });
  });
}
