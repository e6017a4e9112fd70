/**
 * What the warm pool on AWS adds to the suite both backends share (pooled-workers.test.ts): pooled
 * attempts wait on the pool queue for a pool scaled to zero without being reaped for it, an attempt no
 * pool task starts within AGENT_RUNNER_POOL_START_TIMEOUT_SECONDS is lost and retried (its old
 * hand-off never runs), and Claude jobs run pooled against the fake Messages API. The pool service is
 * EcsPoolService's stand-in (moto runs no service), scaled by hand as Auto Scaling would; each task
 * runs one job and retires (AGENT_RUNNER_POOL_RECYCLE_AFTER_JOBS=1), so scaling to 0 empties the pool.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { getJob, postJob, waitUntilTerminal, type JobView } from '../support/api-client.ts';
import { skipUnlessAws } from '../support/aws-test-env.ts';
import type { EcsPoolService } from '../support/ecs-pool-service.ts';
import { reply, startFakeAnthropic, type FakeAnthropic } from '../support/fake-anthropic.ts';
import { startSystem, type TestSystem } from '../support/system.ts';
import { waitFor } from '../support/wait-for.ts';

const API_KEY = 'sk-pool';
// Long enough for a pool task to start on a loaded machine after the first test's 8 s watch.
const START_TIMEOUT_SECONDS = 30;
const HEARTBEAT_SECONDS = 2;

describe('warm pool on AWS: scaled to zero, start timeout, Claude jobs', { skip: Boolean(skipUnlessAws()) }, () => {
  let fake: FakeAnthropic;
  let system: TestSystem;
  let pool: EcsPoolService;
  let sqs: SQSClient;

  beforeAll(async () => {
    fake = await startFakeAnthropic({ apiKey: API_KEY });
    fake.respondWith((request) => reply.text(`pooled answer to: ${JSON.stringify(request.body.messages).length} chars`));
    system = await startSystem(
      'aws',
      {
        AGENT_RUNNER_POOLED_TYPES: 'echo,claude_chat',
        AGENT_RUNNER_POOL_START_TIMEOUT_SECONDS: String(START_TIMEOUT_SECONDS),
        AGENT_RUNNER_HEARTBEAT_SECONDS: String(HEARTBEAT_SECONDS),
      },
      {
        workerEnv: {
          ANTHROPIC_BASE_URL: fake.url,
          AGENT_RUNNER_QUEUE_WAIT_SECONDS: '2',
          AGENT_RUNNER_POOL_RECYCLE_AFTER_JOBS: '1',
        },
        anthropicApiKey: API_KEY,
      },
    );
    const { EcsPoolService } = await import('../support/ecs-pool-service.ts');
    pool = new EcsPoolService(system.env, 0);
    pool.start();
    system.startDispatcher();
    sqs = new SQSClient({ region: system.env.AWS_REGION!, endpoint: system.env.AWS_ENDPOINT_URL! });
  });
  afterAll(async () => {
    sqs?.destroy();
    await pool?.stop();
    await system?.stop();
    await fake?.close();
  });

  const poolIsEmpty = () =>
    waitFor('the pool to have no task', async () => ((await pool.running()).length === 0 ? true : undefined), { timeoutMs: 40_000 });
  const taskArnOf = async (jobId: string, attempt: number) => (await system.backend.jobs.get(jobId))?.attempts[attempt - 1]?.taskArn;

  test('a pooled job waits for a pool scaled to zero without being reaped, and runs once a task starts', async () => {
    await poolIsEmpty();
    const job = await postJob(system.url, { job_type: 'echo', payload: { message: 'wait for me' } });
    assert.equal(job.isolation, 'pooled');
    // Handed off first (a loaded machine may take a while), then watched for longer than three missed
    // heartbeats and several reaper rounds (one a second): still the first attempt, waiting.
    await waitFor(
      'the job to be handed to the pool queue',
      async () => ((await getJob(system.url, job.job_id)).status === 'DISPATCHED' ? true : undefined),
      { timeoutMs: 30_000 },
    );
    const until = Date.now() + 4 * HEARTBEAT_SECONDS * 1000;
    let seen: JobView = job;
    while (Date.now() < until) {
      seen = await getJob(system.url, job.job_id);
      assert.equal(seen.attempts.length <= 1 && ['QUEUED', 'DISPATCHED'].includes(seen.status), true, JSON.stringify(seen));
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(seen.status, 'DISPATCHED');
    const ref = seen.attempts[0]!.worker_ref!;
    assert.match(ref, new RegExp(`^sqspool:${system.env.AGENT_RUNNER_ECS_CLUSTER}-pool:${job.job_id}:1$`));
    assert.deepEqual(await system.launcher.inspect(ref), { state: 'waiting' });

    pool.scale(1);
    // Taken: back to zero, so the task retires after this job and is not replaced.
    await waitFor(
      'the job to start on a pool task',
      async () => ((await getJob(system.url, job.job_id)).status !== 'DISPATCHED' ? true : undefined),
      {
        timeoutMs: 40_000,
        intervalMs: 50,
      },
    );
    pool.scale(0);
    const [done] = await waitUntilTerminal(system.url, [job.job_id], 30_000);
    assert.equal(done?.status, 'SUCCEEDED', JSON.stringify(done?.error));
    assert.equal(done?.attempts.length, 1);
    // The pool task that ran it wrote its ARN on the start, and reported itself as the worker.
    const taskArn = await taskArnOf(job.job_id, 1);
    assert.ok(taskArn && pool.started.includes(taskArn), `${taskArn} is one of the pool's tasks`);
    assert.equal((done!.result as { processed_by: string }).processed_by, taskArn);
    assert.equal((done!.attempts[0] as unknown as { task_arn: string | null }).task_arn, taskArn, 'GET /jobs/{id} shows it');
  });

  test('a pooled attempt no pool task starts in time is lost and retried; its old hand-off never runs', async () => {
    await poolIsEmpty();
    const job = await postJob(system.url, { job_type: 'echo', payload: { message: 'late' }, max_attempts: 3 });
    const retried = await waitFor(
      'the first attempt to be given up and the second handed off',
      async () => {
        const seen = await getJob(system.url, job.job_id);
        return seen.attempts.length === 2 && seen.status === 'DISPATCHED' ? seen : undefined;
      },
      { timeoutMs: (START_TIMEOUT_SECONDS + 20) * 1000, intervalMs: 200 },
    );
    const first = retried.attempts[0] as unknown as { error: { kind: string; message: string } | null; started_at: string | null };
    assert.equal(first.error?.kind, 'lost');
    assert.match(first.error?.message ?? '', /AGENT_RUNNER_POOL_START_TIMEOUT_SECONDS/);
    assert.equal(first.started_at, null, 'the first attempt never started');

    // Both hand-offs are on the queue; the first, taken, is found not startable and deleted.
    pool.scale(1);
    const [done] = await waitUntilTerminal(system.url, [job.job_id], 40_000);
    assert.equal(done?.status, 'SUCCEEDED', JSON.stringify(done?.error));
    assert.equal(done?.attempts.length, 2);
    assert.equal((done!.attempts[0] as unknown as { started_at: string | null }).started_at, null);
    await waitFor(
      'both hand-offs to be gone from the pool queue',
      async () => {
        const out = await sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: system.env.AGENT_RUNNER_POOL_QUEUE_URL!,
            AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
          }),
        );
        const left = Number(out.Attributes?.ApproximateNumberOfMessages) + Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible);
        return left === 0 ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    pool.scale(0);
  });

  test('Claude jobs run pooled on the pool tasks, against the Messages API', async () => {
    // A task that took only the stale hand-off above ran no job, so it may still be polling: it serves too.
    pool.scale(2);
    const jobs = await Promise.all(
      ['first', 'second'].map((which) => postJob(system.url, { job_type: 'claude_chat', payload: { prompt: `the ${which} question` } })),
    );
    const done = await waitUntilTerminal(
      system.url,
      jobs.map((j) => j.job_id),
      40_000,
    );
    pool.scale(0);
    for (const job of done) {
      assert.equal(job.status, 'SUCCEEDED', JSON.stringify(job.error));
      assert.equal(job.isolation, 'pooled');
      assert.match(job.attempts[0]?.worker_ref ?? '', /^sqspool:/);
      assert.match((job.result as { response: string }).response, /^pooled answer to: /);
      const taskArn = await taskArnOf(job.job_id, 1);
      assert.ok(taskArn && pool.started.includes(taskArn), `${job.job_id} ran on a pool task`);
    }
    assert.equal(fake.requests.filter((r) => r.path === '/v1/messages').length, 2);
  });
});
