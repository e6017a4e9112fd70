import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeScalableTargetsCommand, ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient, DescribeAlarmsCommand, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeTableCommand, DynamoDBClient, PutItemCommand, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
} from '@aws-sdk/client-ecs';
import { HeadBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { beforeAll, describe, test } from 'vitest';
import { describeStack } from '@agent-runner/shared/adapters/aws/stack/cloudformation-stack.ts';
import { loadConfig } from '@agent-runner/shared/config/config.ts';
import { runStackCommand, type StackCommandName } from '@agent-runner/shared/adapters/aws/stack/stack-command.ts';
import { skipUnlessAws } from '../../support/aws-test-env.ts';
import { defaultNetwork } from '../../support/default-network.ts';
import { motoEndpoint } from '../../support/moto.ts';

// deploy, status, pause, resume and destroy against the emulator's CloudFormation, ECS, Application
// Auto Scaling, CloudWatch, SQS and DynamoDB. moto creates no alarm, scalable target or scaling
// policy from a template (it skips those types; cloudformation-template.test.ts checks them with
// cfn-lint), so the test registers what pause and resume must change where it needs to see it.

const REGION = 'us-east-1';

describe('agent-runner deploy / status / pause / resume / destroy (emulator)', { skip: Boolean(skipUnlessAws()) }, () => {
  let endpoint: string;
  let env: Record<string, string>;
  let network: { vpcId: string; subnetIds: string[] };
  const config = () => ({ region: REGION, endpoint });

  async function run(command: StackCommandName, argv: string[], answer: string | null = null) {
    let stdout = '';
    let stderr = '';
    const code = await runStackCommand(command, argv, env, {
      stdout: (t) => {
        stdout += t;
      },
      stderr: (t) => {
        stderr += t;
      },
      ask: async () => answer,
    });
    return { code, stdout, stderr };
  }

  const networkParams = () => [
    '--param',
    `VpcId=${network.vpcId}`,
    '--param',
    `SubnetIds=${network.subnetIds[0]}`,
    '--param',
    `PublicSubnetIds=${network.subnetIds.slice(0, 2).join(',')}`,
  ];

  beforeAll(async () => {
    endpoint = await motoEndpoint();
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });
    env = { AWS_REGION: REGION, AWS_ENDPOINT_URL: endpoint, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };
    network = await defaultNetwork(REGION, endpoint);
  });

  test('usage errors exit 2 and touch nothing', async () => {
    assert.equal((await run('deploy', [])).code, 2);
    assert.equal((await run('pause', ['--stack', 'x', '--delete-data'])).code, 2);
    assert.equal((await run('deploy', ['--stack', 'x', '--param', 'novalue'])).code, 2);
    const noRegion = await runStackCommand('status', ['--stack', 'x'], {}, { stdout: () => {}, stderr: () => {}, ask: async () => null });
    assert.equal(noRegion, 2);
  });

  test('deploy creates the stack, prints its outputs and the service URL; a new image updates it', async () => {
    const stack = `st-${randomBytes(3).toString('hex')}`;
    const envFile = join(mkdtempSync(join(tmpdir(), 'deploy-')), 'stack.env');
    const created = await run('deploy', ['--stack', stack, '--image', 'agent-runner:1', '--write-env', envFile, ...networkParams()]);
    assert.equal(created.code, 0, created.stderr);
    // The written variables are a configuration the operator's commands start with.
    const written = Object.fromEntries(
      readFileSync(envFile, 'utf8')
        .trim()
        .split('\n')
        .map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]),
    );
    assert.equal(loadConfig({ ...written }).backend, 'aws');
    assert.equal(written.AGENT_RUNNER_API_KEYS_TABLE, `${stack}-api-keys`);
    assert.match(written.AGENT_RUNNER_API_URL ?? '', /^http:\/\//);
    assert.match(created.stdout, /^The API: http:\/\/\S+$/m, created.stdout + created.stderr);
    assert.match(created.stdout, new RegExp(`^JobsTable = ${stack}-jobs$`, 'm'), 'Prefix defaults to the stack name');
    assert.match(created.stderr, /change set .* \(create\)/);

    const ecs = new ECSClient(config());
    const image = async (family: string) =>
      (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: family }))).taskDefinition?.containerDefinitions?.[0]?.image;
    assert.equal(await image(`${stack}-api`), 'agent-runner:1');
    const { services = [] } = await ecs.send(
      new DescribeServicesCommand({ cluster: stack, services: [`${stack}-api`, `${stack}-dispatcher`] }),
    );
    assert.deepEqual(
      services.map((s) => [s.serviceName, s.desiredCount]),
      [
        [`${stack}-api`, 1],
        [`${stack}-dispatcher`, 1],
      ],
    );

    // The image and the subnets given (moto splits a kept list parameter twice, so they are passed
    // again): VpcId and the rest keep their previous values (UsePreviousValue).
    const updated = await run('deploy', [
      '--stack',
      stack,
      '--image',
      'agent-runner:2',
      '--param',
      `SubnetIds=${network.subnetIds[0]}`,
      '--param',
      `PublicSubnetIds=${network.subnetIds.slice(0, 2).join(',')}`,
    ]);
    assert.equal(updated.code, 0, updated.stderr);
    assert.match(updated.stderr, /\(update\)/);
    const parameters = (await describeStack({ region: REGION, endpoint, stack }))?.parameters;
    assert.equal(parameters?.Image, 'agent-runner:2');
    assert.equal(parameters?.VpcId, network.vpcId);
    assert.equal(parameters?.Prefix, stack);
    // (moto re-registers the task definitions on update but keeps CloudFormation's spelling of their
    // containers, so their image is not readable back here; the parameter is what deploy controls.)

    const unknown = await run('deploy', ['--stack', stack, '--param', 'Colour=blue']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no parameter Colour/);
    ecs.destroy();
    assert.equal((await run('destroy', ['--stack', stack, '--yes', '--delete-data'])).code, 0);
  });

  test('status shows services, queues and spend; pause refuses under running jobs, then scales to zero; resume restores', async () => {
    const stack = `sp-${randomBytes(3).toString('hex')}`;
    assert.equal((await run('deploy', ['--stack', stack, '--image', 'agent-runner:1', ...networkParams()])).code, 0);
    const { outputs } = (await describeStack({ region: REGION, endpoint, stack }))!;
    const sqs = new SQSClient(config());
    const dynamo = new DynamoDBClient(config());
    const ecs = new ECSClient(config());
    const cloudwatch = new CloudWatchClient(config());
    const scaling = new ApplicationAutoScalingClient(config());
    try {
      await sqs.send(new SendMessageCommand({ QueueUrl: outputs.HighQueueUrl, MessageBody: '{}' }));
      await sqs.send(new SendMessageCommand({ QueueUrl: outputs.HighQueueUrl, MessageBody: '{}' }));
      const today = new Date().toISOString().slice(0, 10);
      for (const [tenant, usd] of [
        ['acme', '1.25'],
        ['globex', '0.5'],
      ] as const)
        await dynamo.send(
          new PutItemCommand({
            TableName: outputs.TenantsTable,
            Item: { tenant: { S: tenant }, entry: { S: `spend#${today}` }, usd: { N: usd } },
          }),
        );
      await dynamo.send(
        new PutItemCommand({
          TableName: outputs.TenantsTable,
          Item: { tenant: { S: 'acme' }, entry: { S: 'spend#2020-01-01' }, usd: { N: '99' } },
        }),
      );
      const shown = await run('status', ['--stack', stack, '--json']);
      assert.equal(shown.code, 0, shown.stderr);
      const status = JSON.parse(shown.stdout) as {
        services: { name: string; desired: number }[];
        queues: { name: string; waiting: number }[];
        spendTodayUsd: number;
      };
      assert.deepEqual(
        status.services.map((s) => [s.name, s.desired]),
        [
          [`${stack}-api`, 1],
          [`${stack}-dispatcher`, 1],
        ],
      );
      assert.equal(status.queues.find((q) => q.name === 'HighQueue')?.waiting, 2);
      assert.equal(status.queues.find((q) => q.name === 'NormalQueue')?.waiting, 0);
      assert.equal(status.queues.length, 10, 'five queues and five dead-letter queues');
      assert.equal(status.spendTodayUsd, 1.75);
      assert.match((await run('status', ['--stack', stack])).stdout, /spend today \(UTC\): 1\.75 USD/);

      // The heartbeat alarm (moto's CloudFormation makes none): pause must turn its actions off.
      await cloudwatch.send(
        new PutMetricAlarmCommand({
          AlarmName: outputs.HeartbeatAlarm,
          Namespace: 'AgentRunner',
          MetricName: 'DispatcherHeartbeat',
          Statistic: 'Sum',
          Period: 300,
          EvaluationPeriods: 1,
          Threshold: 1,
          ComparisonOperator: 'LessThanThreshold',
          ActionsEnabled: true,
        }),
      );
      const actionsEnabled = async () =>
        (await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [outputs.HeartbeatAlarm!] }))).MetricAlarms?.[0]?.ActionsEnabled;

      // A job's worker task is running: pausing would leave it without a dispatcher.
      // moto keeps the stack's container Memory as the parameter's string and then cannot add it up
      // in RunTask (CloudFormation converts it): a revision registered here stands in for it.
      const { taskDefinition } = await ecs.send(
        new RegisterTaskDefinitionCommand({
          family: outputs.WorkerTaskFamily,
          requiresCompatibilities: ['FARGATE'],
          networkMode: 'awsvpc',
          cpu: '512',
          memory: '1024',
          containerDefinitions: [{ name: 'worker', image: 'agent-runner:1', memory: 1024 }],
        }),
      );
      await ecs.send(
        new RunTaskCommand({
          cluster: outputs.Cluster,
          taskDefinition: taskDefinition!.taskDefinitionArn,
          launchType: 'FARGATE',
          networkConfiguration: { awsvpcConfiguration: { subnets: [network.subnetIds[0]!], securityGroups: [] } },
        }),
      );
      const refused = await run('pause', ['--stack', stack]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /1 worker task\(s\) are running jobs/);
      const desired = async () =>
        (
          await ecs.send(
            new DescribeServicesCommand({ cluster: outputs.Cluster, services: [outputs.ApiService!, outputs.DispatcherService!] }),
          )
        ).services?.map((s) => s.desiredCount);
      assert.deepEqual(await desired(), [1, 1], 'a refused pause changes nothing');
      assert.equal(await actionsEnabled(), true);

      const paused = await run('pause', ['--stack', stack, '--force']);
      assert.equal(paused.code, 0, paused.stderr);
      assert.deepEqual(await desired(), [0, 0]);
      const ranges = async () =>
        (await scaling.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs' }))).ScalableTargets?.filter((t) =>
          t.ResourceId?.startsWith(`service/${outputs.Cluster}/`),
        )
          .map((t) => `${t.ResourceId!.split('/').pop()} ${t.MinCapacity}..${t.MaxCapacity}`)
          .sort();
      assert.deepEqual(await ranges(), [`${stack}-api 0..0`, `${stack}-dispatcher 0..0`], 'auto scaling cannot bring them back');
      assert.equal(await actionsEnabled(), false);

      const resumed = await run('resume', ['--stack', stack]);
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.deepEqual(await desired(), [1, 1]);
      assert.deepEqual(
        await ranges(),
        [`${stack}-api 1..4`, `${stack}-dispatcher 1..2`],
        "the stack's ApiMin/MaxTasks and DispatcherMin/MaxTasks",
      );
      assert.equal(await actionsEnabled(), true);
    } finally {
      for (const c of [sqs, dynamo, ecs, cloudwatch, scaling]) c.destroy();
    }
    assert.equal((await run('destroy', ['--stack', stack, '--yes', '--delete-data'])).code, 0);
  });

  test('destroy asks first, keeps the tables and bucket, and deletes them only with --delete-data', async () => {
    const dynamo = new DynamoDBClient(config());
    const s3 = new S3Client({ ...config(), forcePathStyle: true });
    const tableExists = async (name: string) => {
      try {
        await dynamo.send(new DescribeTableCommand({ TableName: name }));
        return true;
      } catch (error) {
        if (error instanceof ResourceNotFoundException) return false;
        throw error;
      }
    };
    const bucketExists = async (bucket: string) =>
      s3.send(new HeadBucketCommand({ Bucket: bucket })).then(
        () => true,
        () => false,
      );
    try {
      const kept = `dk-${randomBytes(3).toString('hex')}`;
      assert.equal((await run('deploy', ['--stack', kept, '--image', 'agent-runner:1', ...networkParams()])).code, 0);
      const { outputs } = (await describeStack({ region: REGION, endpoint, stack: kept }))!;

      const noTerminal = await run('destroy', ['--stack', kept], null);
      assert.equal(noTerminal.code, 2);
      assert.match(noTerminal.stderr, /pass --yes/);
      const wrongName = await run('destroy', ['--stack', kept], 'yes');
      assert.equal(wrongName.code, 1);
      assert.ok(await describeStack({ region: REGION, endpoint, stack: kept }), 'not confirmed: the stack is still there');

      const confirmed = await run('destroy', ['--stack', kept], kept);
      assert.equal(confirmed.code, 0, confirmed.stderr);
      assert.equal(await describeStack({ region: REGION, endpoint, stack: kept }), null);
      assert.match(confirmed.stdout, /kept/);
      for (const table of ['jobs', 'leases', 'job-events', 'api-keys', 'tenants', 'webhook-endpoints', 'webhook-deliveries'])
        assert.ok(await tableExists(`${kept}-${table}`), `${table} kept`);
      assert.ok(await bucketExists(outputs.Bucket!), 'bucket kept');

      const gone = `dd-${randomBytes(3).toString('hex')}`;
      assert.equal((await run('deploy', ['--stack', gone, '--image', 'agent-runner:1', ...networkParams()])).code, 0);
      const bucket = (await describeStack({ region: REGION, endpoint, stack: gone }))!.outputs.Bucket!;
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'results/01K.json', Body: '{}' }));
      const deleted = await run('destroy', ['--stack', gone, '--yes', '--delete-data']);
      assert.equal(deleted.code, 0, deleted.stderr);
      for (const table of ['jobs', 'leases', 'job-events', 'api-keys', 'tenants', 'webhook-endpoints', 'webhook-deliveries'])
        assert.equal(await tableExists(`${gone}-${table}`), false, `${table} deleted`);
      assert.equal(await bucketExists(bucket), false, 'bucket deleted, objects first');
    } finally {
      dynamo.destroy();
      s3.destroy();
    }
  });
});
