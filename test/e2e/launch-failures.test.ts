import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { postJob, waitUntilTerminal } from '../support/api-client.ts';
import { backendNames, startSystem, type TestSystem } from '../support/system.ts';
import { waitForSlotsReleased } from '../support/wait-for.ts';

for (const name of backendNames()) {
  describe(`launch failures (${name})`, () => {
    let system: TestSystem;
    beforeAll(async () => {
      // A launch that cannot succeed: the worker program does not exist (spawn fails), or the task
      // definition does not (RunTask refuses). Everything else is the real system.
      system = await startSystem(
        name,
        name === 'aws'
          ? { AGENT_RUNNER_TASK_DEFINITION: 'agent-runner-no-such-task-definition' }
          : { AGENT_RUNNER_WORKER_COMMAND: '/nonexistent/agent-runner-worker' },
      );
      system.startDispatcher();
    });
    afterAll(() => system.stop());

    test('a failed launch leaves nothing half-launched: the job ends FAILED with a readable launch error, no slot held', async () => {
      const job = await postJob(system.url, { job_type: 'echo', payload: { message: 'x' }, max_attempts: 2 });
      const [done] = await waitUntilTerminal(system.url, [job.job_id], 60_000);
      assert.equal(done?.status, 'FAILED');
      assert.match(done?.error?.message ?? '', /^launch failed: /);
      assert.ok(done!.attempts.length >= 1 && done!.attempts.length <= 2);
      for (const attempt of done!.attempts) assert.equal(attempt.worker_ref, null, 'no worker was recorded for a launch that failed');
      if (name === 'embedded') {
        // A spawn error is retryable: both attempts were tried.
        assert.equal(done?.attempts.length, 2);
        assert.equal(done?.error?.kind, 'retryable');
      } else {
        // An unknown task definition is a configuration error: not retried.
        assert.equal(done?.error?.kind, 'fatal');
        assert.equal(done?.attempts.length, 1);
      }
      await waitForSlotsReleased(system.backend.leases);
      assert.equal(system.launcher.launchesOf(job.job_id), 0);
    });
  });
}

if (backendNames().includes('aws')) {
  describe('the RunTask request (aws)', () => {
    let system: TestSystem;
    beforeAll(async () => {
      system = await startSystem('aws');
      system.startDispatcher();
    });
    afterAll(() => system.stop());

    test('one Fargate task per job: FARGATE, awsvpc with the configured subnets and groups, JOB_ID in the override, job tags', async () => {
      const { DescribeTasksCommand, ECSClient } = await import('@aws-sdk/client-ecs');
      const job = await postJob(system.url, { job_type: 'echo', payload: { message: 'shape' } });
      const [done] = await waitUntilTerminal(system.url, [job.job_id], 60_000);
      assert.equal(done?.status, 'SUCCEEDED');
      const taskArn = done!.attempts[0]!.worker_ref!;
      const ecs = new ECSClient({ region: system.env.AWS_REGION!, endpoint: system.env.AWS_ENDPOINT_URL! });
      try {
        const out = await ecs.send(
          new DescribeTasksCommand({ cluster: system.env.AGENT_RUNNER_ECS_CLUSTER!, tasks: [taskArn], include: ['TAGS'] }),
        );
        const task = out.tasks![0]!;
        assert.equal(task.launchType, 'FARGATE');
        const env = Object.fromEntries((task.overrides?.containerOverrides?.[0]?.environment ?? []).map((e) => [e.name, e.value]));
        assert.equal(env.JOB_ID, job.job_id);
        assert.equal(env.JOB_ATTEMPT, '1');
        const tags = Object.fromEntries((task.tags ?? []).map((t) => [t.key, t.value]));
        assert.equal(tags['agent-runner:job-id'], job.job_id);
        assert.equal(tags['agent-runner:job-type'], 'echo');
        const eni = task.attachments?.find((a) => a.type === 'ElasticNetworkInterface');
        const subnet = eni?.details?.find((d) => d.name === 'subnetId')?.value;
        assert.ok(system.env.AGENT_RUNNER_SUBNETS!.split(',').includes(String(subnet)), `task in subnet ${subnet}`);
      } finally {
        ecs.destroy();
      }
    });
  });
}
