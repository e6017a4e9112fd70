import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { DescribeTasksCommand, ECSClient } from '@aws-sdk/client-ecs';
import { createAwsClients, type AwsClients } from '@agent-runner/shared/adapters/aws/aws-clients.ts';
import { clientTokenFor, EcsLauncher } from '@agent-runner/shared/adapters/aws/ecs-launcher.ts';
import { loadConfig, type AwsConfig } from '@agent-runner/shared/config/config.ts';
import { FatalError, RetryableError } from '@agent-runner/shared/domain/errors.ts';
import { ulid } from '@agent-runner/shared/domain/ids.ts';
import { provisionTestAws, skipUnlessAws } from '../../support/aws-test-env.ts';

type EcsSettings = NonNullable<AwsConfig['ecs']>;

describe('EcsLauncher on moto', { skip: Boolean(skipUnlessAws()) }, () => {
  let clients: AwsClients;
  let settings: EcsSettings;
  let launcher: EcsLauncher;

  beforeAll(async () => {
    const config = loadConfig(await provisionTestAws({ prefix: 'ecs' }));
    clients = createAwsClients(config.aws!.region, config.aws!.endpoint);
    settings = config.aws!.ecs!;
    launcher = new EcsLauncher(clients.ecs, settings);
  });
  afterAll(() => clients?.destroy());

  const describeTask = async (taskArn: string) =>
    (await clients.ecs.send(new DescribeTasksCommand({ cluster: settings.cluster, tasks: [taskArn], include: ['TAGS'] }))).tasks?.[0];

  test('RunTask is recorded as one Fargate task with the job in the override, job tags and the configured network', async () => {
    const jobId = ulid(new Date());
    const { workerRef } = await launcher.launch({ jobId, attempt: 2, jobType: 'echo', env: { AGENT_RUNNER_HEARTBEAT_SECONDS: '3' } });
    assert.match(workerRef, new RegExp(`^arn:aws:ecs:us-east-1:\\d{12}:task/${settings.cluster}/`));
    const task = (await describeTask(workerRef))!;
    assert.equal(task.launchType, 'FARGATE');
    assert.equal(task.startedBy, 'agent-runner');
    assert.equal(task.taskDefinitionArn, settings.taskDefinition);
    assert.deepEqual(task.overrides?.containerOverrides, [
      {
        name: 'worker',
        environment: [
          { name: 'AGENT_RUNNER_HEARTBEAT_SECONDS', value: '3' },
          { name: 'JOB_ID', value: jobId },
          { name: 'JOB_ATTEMPT', value: '2' },
        ],
      },
    ]);
    assert.deepEqual(task.tags, [
      { key: 'agent-runner:job-id', value: jobId },
      { key: 'agent-runner:job-type', value: 'echo' },
      { key: 'agent-runner:attempt', value: '2' },
    ]);
    const eni = task.attachments?.find((a) => a.type === 'ElasticNetworkInterface');
    const subnet = eni?.details?.find((d) => d.name === 'subnetId')?.value;
    assert.ok(subnet && settings.subnets.includes(subnet), `task in subnet ${subnet}, configured ${settings.subnets.join(',')}`);
  });

  test('the launch settings cannot override the job id or attempt', async () => {
    const jobId = ulid(new Date());
    const { workerRef } = await launcher.launch({ jobId, attempt: 1, jobType: 'echo', env: { JOB_ID: 'someone-else', JOB_ATTEMPT: '9' } });
    const env = (await describeTask(workerRef))?.overrides?.containerOverrides?.[0]?.environment ?? [];
    assert.deepEqual(
      env.filter((e) => e.name === 'JOB_ID' || e.name === 'JOB_ATTEMPT'),
      [
        { name: 'JOB_ID', value: jobId },
        { name: 'JOB_ATTEMPT', value: '1' },
      ],
    );
  });

  test('a task stays running until stopped; then it is stopped with the reason given', async () => {
    const { workerRef } = await launcher.launch({ jobId: ulid(new Date()), attempt: 1, jobType: 'echo' });
    // Several looks: the harness pins moto's task states, which otherwise advance on every DescribeTasks.
    for (let i = 0; i < 5; i++) assert.deepEqual(await launcher.inspect(workerRef), { state: 'running' });
    await launcher.stop(workerRef, 'job cancelled');
    const state = await launcher.inspect(workerRef);
    assert.equal(state.state, 'stopped');
    assert.equal(state.state === 'stopped' && state.reason, 'job cancelled');
  });

  test('a task ECS has no record of is unknown', async () => {
    const missing = `arn:aws:ecs:us-east-1:123456789012:task/${settings.cluster}/00000000000000000000000000000000`;
    assert.deepEqual(await launcher.inspect(missing), { state: 'unknown' });
  });

  test('an unknown cluster or task definition is a FatalError keeping the SDK error as cause', async () => {
    const request = { jobId: ulid(new Date()), attempt: 1, jobType: 'echo' };
    for (const wrong of [{ cluster: 'agent-runner-no-such-cluster' }, { taskDefinition: 'agent-runner-no-such-task-definition' }]) {
      const misconfigured = new EcsLauncher(clients.ecs, { ...settings, ...wrong });
      await assert.rejects(misconfigured.launch(request), (error: unknown) => {
        assert.ok(error instanceof FatalError, `${String(error)} for ${JSON.stringify(wrong)}`);
        assert.match((error.cause as Error).name, /ClusterNotFoundException|ClientException/);
        return true;
      });
    }
  });
});

/**
 * What moto cannot be made to do — answer 200 with `failures[]`, throttle, fail with 5xx, deny
 * access — comes from a scripted endpoint speaking ECS's JSON protocol, on port 0. It also shows the
 * RunTask request exactly as sent, including the clientToken moto ignores.
 */
describe('EcsLauncher against a scripted ECS endpoint', () => {
  interface Reply {
    status: number;
    body: Record<string, unknown>;
  }
  const replies: Reply[] = [];
  const requests: { target: string; body: Record<string, unknown> }[] = [];
  let server: Server;
  let ecs: ECSClient;
  const settings: EcsSettings = {
    cluster: 'jobs',
    taskDefinition: 'agent-runner-worker:7',
    container: 'worker',
    subnets: ['subnet-1', 'subnet-2'],
    securityGroups: ['sg-1'],
    assignPublicIp: true,
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
      req.on('end', () => {
        requests.push({ target: String(req.headers['x-amz-target']), body: JSON.parse(raw || '{}') as Record<string, unknown> });
        const reply = replies.shift() ?? { status: 500, body: { __type: 'ServerException', message: 'no scripted reply' } };
        res.writeHead(reply.status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'req-1234' });
        res.end(JSON.stringify(reply.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    // One attempt: the SDK would otherwise retry throttling and 5xx itself, and the test is about
    // what the launcher makes of the error that comes out.
    ecs = new ECSClient({
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${port}`,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
  });
  afterAll(async () => {
    ecs?.destroy();
    await new Promise((resolve) => server?.close(resolve));
  });

  const launch = (attempt = 1) =>
    new EcsLauncher(ecs, settings).launch({ jobId: '01JBCDEFGHJKMNPQRSTVWXYZ01', attempt, jobType: 'claude_chat' });

  test('the request is exactly the documented RunTask, with an idempotency token from job id and attempt', async () => {
    requests.length = 0;
    replies.push({ status: 200, body: { tasks: [{ taskArn: 'arn:aws:ecs:us-east-1:1:task/jobs/abc' }], failures: [] } });
    assert.deepEqual(await launch(3), { workerRef: 'arn:aws:ecs:us-east-1:1:task/jobs/abc' });
    assert.equal(requests[0]?.target, 'AmazonEC2ContainerServiceV20141113.RunTask');
    assert.deepEqual(requests[0]?.body, {
      cluster: 'jobs',
      taskDefinition: 'agent-runner-worker:7',
      launchType: 'FARGATE',
      count: 1,
      startedBy: 'agent-runner',
      clientToken: '01JBCDEFGHJKMNPQRSTVWXYZ01-3',
      networkConfiguration: {
        awsvpcConfiguration: { subnets: ['subnet-1', 'subnet-2'], securityGroups: ['sg-1'], assignPublicIp: 'ENABLED' },
      },
      overrides: {
        containerOverrides: [
          {
            name: 'worker',
            environment: [
              { name: 'JOB_ID', value: '01JBCDEFGHJKMNPQRSTVWXYZ01' },
              { name: 'JOB_ATTEMPT', value: '3' },
            ],
          },
        ],
      },
      tags: [
        { key: 'agent-runner:job-id', value: '01JBCDEFGHJKMNPQRSTVWXYZ01' },
        { key: 'agent-runner:job-type', value: 'claude_chat' },
        { key: 'agent-runner:attempt', value: '3' },
      ],
    });
  });

  test('with ECS Exec on, RunTask asks for it; with a log group, the launch names the task’s awslogs stream', async () => {
    requests.length = 0;
    replies.push({ status: 200, body: { tasks: [{ taskArn: 'arn:aws:ecs:us-east-1:1:task/jobs/0a1b2c' }], failures: [] } });
    const launcher = new EcsLauncher(ecs, settings, {
      enableExecuteCommand: true,
      logs: { group: '/ecs/agent-runner', streamPrefix: 'worker', region: 'us-east-1' },
    });
    const launched = await launcher.launch({ jobId: '01JBCDEFGHJKMNPQRSTVWXYZ01', attempt: 1, jobType: 'echo' });
    assert.equal(requests[0]?.body.enableExecuteCommand, true);
    assert.deepEqual(launched, {
      workerRef: 'arn:aws:ecs:us-east-1:1:task/jobs/0a1b2c',
      logStream: { group: '/ecs/agent-runner', stream: 'worker/worker/0a1b2c', region: 'us-east-1' },
    });
    // Off by default: the request above without options has no such member (exactly the documented RunTask).
  });

  test('the client token is the same for a re-launch of one attempt, different per attempt, and at most 64 characters', () => {
    const jobId = ulid(new Date());
    assert.equal(clientTokenFor({ jobId, attempt: 1 }), clientTokenFor({ jobId, attempt: 1 }));
    assert.notEqual(clientTokenFor({ jobId, attempt: 1 }), clientTokenFor({ jobId, attempt: 2 }));
    assert.ok(clientTokenFor({ jobId, attempt: 100 }).length <= 64);
  });

  test('a 200 with failures[] started nothing: RetryableError naming the reason', async () => {
    replies.push({
      status: 200,
      body: { tasks: [], failures: [{ arn: 'arn:aws:ecs:us-east-1:1:container-instance/x', reason: 'RESOURCE:MEMORY' }] },
    });
    await assert.rejects(launch(), (error: unknown) => error instanceof RetryableError && /RESOURCE:MEMORY/.test(error.message));
  });

  test('a 200 with neither a task nor a failure is a RetryableError', async () => {
    replies.push({ status: 200, body: { tasks: [], failures: [] } });
    await assert.rejects(launch(), RetryableError);
  });

  const cases: { what: string; reply: Reply; kind: typeof RetryableError | typeof FatalError }[] = [
    { what: 'throttling', reply: { status: 400, body: { __type: 'ThrottlingException', message: 'Rate exceeded' } }, kind: RetryableError },
    {
      what: "ECS's own failure (5xx)",
      reply: { status: 500, body: { __type: 'ServerException', message: 'internal' } },
      kind: RetryableError,
    },
    {
      what: 'an unavailable service (503)',
      reply: { status: 503, body: { __type: 'ServiceUnavailableException', message: 'later' } },
      kind: RetryableError,
    },
    {
      what: 'an invalid parameter',
      reply: { status: 400, body: { __type: 'InvalidParameterException', message: 'bad subnet' } },
      kind: FatalError,
    },
    { what: 'denied access', reply: { status: 400, body: { __type: 'AccessDeniedException', message: 'not allowed' } }, kind: FatalError },
    {
      what: 'a client error',
      reply: { status: 400, body: { __type: 'ClientException', message: 'no such task definition' } },
      kind: FatalError,
    },
  ];
  for (const { what, reply, kind } of cases) {
    test(`${what} is a ${kind.name} keeping the cause and the request id`, async () => {
      replies.push(reply);
      await assert.rejects(launch(), (error: unknown) => {
        assert.ok(error instanceof kind, String(error));
        assert.equal((error.cause as Error).name, reply.body.__type);
        assert.match(error.message, /req-1234/);
        return true;
      });
    });
  }

  test('stop sends StopTask with the reason cut to ECS’s 255 characters', async () => {
    requests.length = 0;
    replies.push({ status: 200, body: { task: { taskArn: 'arn:t' } } });
    await new EcsLauncher(ecs, settings).stop('arn:t', 'x'.repeat(300));
    assert.equal(requests[0]?.target, 'AmazonEC2ContainerServiceV20141113.StopTask');
    assert.deepEqual(requests[0]?.body, { cluster: 'jobs', task: 'arn:t', reason: 'x'.repeat(255) });
  });

  test('inspectAll asks DescribeTasks 100 tasks at a time and maps what comes back by ARN', async () => {
    const arns = Array.from({ length: 150 }, (_, i) => `arn:aws:ecs:us-east-1:1:task/jobs/${String(i).padStart(32, '0')}`);
    const answer = (asked: string[]) => ({
      status: 200,
      // Out of order, one missing from each answer (ECS lists it under failures, reason MISSING).
      body: {
        tasks: asked
          .slice(1)
          .reverse()
          .map((taskArn, i) => ({
            taskArn,
            lastStatus: i % 2 === 0 ? 'RUNNING' : 'STOPPED',
            containers: [{ name: 'worker', exitCode: 0 }],
          })),
        failures: [{ arn: asked[0], reason: 'MISSING' }],
      },
    });
    requests.length = 0;
    replies.push(answer(arns.slice(0, 100)), answer(arns.slice(100)));
    const states = await new EcsLauncher(ecs, settings).inspectAll(arns);
    assert.deepEqual(
      requests.map((r) => [r.target, (r.body.tasks as string[]).length, r.body.cluster]),
      [
        ['AmazonEC2ContainerServiceV20141113.DescribeTasks', 100, 'jobs'],
        ['AmazonEC2ContainerServiceV20141113.DescribeTasks', 50, 'jobs'],
      ],
    );
    assert.equal(states.size, 150);
    assert.deepEqual(states.get(arns[0]!), { state: 'unknown' });
    assert.deepEqual(states.get(arns[100]!), { state: 'unknown' });
    const answered = arns.slice(101).reverse();
    assert.deepEqual(states.get(answered[0]!), { state: 'running' });
    assert.deepEqual(states.get(answered[1]!), { state: 'stopped', exitCode: 0, reason: null });
  });

  test('inspect reports the worker container’s exit code and the stop reason', async () => {
    replies.push({
      status: 200,
      body: {
        tasks: [
          {
            taskArn: 'arn:t',
            lastStatus: 'STOPPED',
            stoppedReason: 'Essential container in task exited',
            containers: [
              { name: 'sidecar', exitCode: 0 },
              { name: 'worker', exitCode: 3 },
            ],
          },
        ],
        failures: [],
      },
    });
    assert.deepEqual(await new EcsLauncher(ecs, settings).inspect('arn:t'), {
      state: 'stopped',
      exitCode: 3,
      reason: 'Essential container in task exited',
    });
    replies.push({ status: 200, body: { tasks: [{ taskArn: 'arn:t', lastStatus: 'PROVISIONING' }], failures: [] } });
    assert.deepEqual(await new EcsLauncher(ecs, settings).inspect('arn:t'), { state: 'running' });
  });
});
