import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { CreateTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { DescribeClustersCommand, DescribeServicesCommand, DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { createAwsClients, type AwsClients } from '@agent-runner/shared/adapters/aws/aws-clients.ts';
import { provisionAws, type Provisioned } from '@agent-runner/shared/adapters/aws/provision.ts';
import { runProvisionCommand } from '@agent-runner/shared/adapters/aws/provision-command.ts';
import { PRIORITIES } from '@agent-runner/shared/domain/job.ts';
import { loadConfig } from '@agent-runner/shared/config/config.ts';
import { skipUnlessAws } from '../../support/aws-test-env.ts';
import { motoEndpoint } from '../../support/moto.ts';

const REGION = 'us-east-1';
const uniquePrefix = (what: string) => `${what}-${randomBytes(4).toString('hex')}`;

describe('provisionAws (moto)', { skip: Boolean(skipUnlessAws()) }, () => {
  let endpoint: string;
  let clients: AwsClients;
  let prefix: string;
  let first: Provisioned;
  let second: Provisioned;

  beforeAll(async () => {
    endpoint = await motoEndpoint();
    process.env.AWS_ACCESS_KEY_ID = 'test';
    process.env.AWS_SECRET_ACCESS_KEY = 'test';
    clients = createAwsClients(REGION, endpoint);
    prefix = uniquePrefix('prov');
    first = await provisionAws({ region: REGION, endpoint, prefix });
    second = await provisionAws({ region: REGION, endpoint, prefix });
  });
  afterAll(() => clients?.destroy());

  async function queueAttributes(url: string): Promise<Record<string, string>> {
    const out = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
    return out.Attributes ?? {};
  }

  test('running it twice succeeds and names the same resources (no new task definition revision)', () => {
    assert.deepEqual(second.env, first.env);
    assert.deepEqual(second.resources, first.resources);
    assert.match(first.resources.ecs!.taskDefinition, new RegExp(`task-definition/${prefix}-worker:1$`));
  });

  test('the env it returns is a complete AWS configuration for the ECS launcher', () => {
    const config = loadConfig(first.env);
    assert.equal(config.backend, 'aws');
    assert.equal(config.launcher, 'ecs');
    const aws = config.aws!;
    assert.equal(aws.region, REGION);
    assert.equal(aws.endpoint, endpoint);
    assert.equal(aws.table, `${prefix}-jobs`);
    assert.equal(aws.leasesTable, `${prefix}-leases`);
    assert.equal(aws.eventsTable, `${prefix}-job-events`);
    assert.equal(aws.tenantsTable, `${prefix}-tenants`);
    for (const priority of PRIORITIES) assert.equal(aws.queueUrls[priority], first.resources.queues[priority].url);
    assert.equal(new Set(Object.values(aws.queueUrls)).size, 4, 'one queue per priority');
    assert.match(aws.fifoQueueUrl ?? '', new RegExp(`/${prefix}-ordered\\.fifo$`));
    assert.equal(aws.bucket, first.resources.bucket);
    assert.equal(aws.ecs?.cluster, prefix);
    assert.equal(aws.ecs?.taskDefinition, first.resources.ecs!.taskDefinition);
    assert.ok((aws.ecs?.subnets.length ?? 0) > 0 && aws.ecs!.subnets.every((s) => s.startsWith('subnet-')));
    assert.ok((aws.ecs?.securityGroups.length ?? 0) > 0 && aws.ecs!.securityGroups.every((g) => g.startsWith('sg-')));
  });

  test('each priority queue has its settings and redrives to its own dead-letter queue after 5 receives', async () => {
    for (const priority of PRIORITIES) {
      const { url, deadLetterUrl } = first.resources.queues[priority];
      assert.match(url, new RegExp(`/${prefix}-${priority}$`));
      const attributes = await queueAttributes(url);
      const dlq = await queueAttributes(deadLetterUrl);
      assert.equal(attributes.VisibilityTimeout, '60');
      assert.equal(attributes.ReceiveMessageWaitTimeSeconds, '20');
      assert.deepEqual(JSON.parse(attributes.RedrivePolicy ?? '{}'), { deadLetterTargetArn: dlq.QueueArn, maxReceiveCount: 5 });
      assert.equal(dlq.FifoQueue, undefined);
    }
  });

  test('the FIFO queue and its dead-letter queue are both FIFO, without content-based deduplication', async () => {
    const attributes = await queueAttributes(first.resources.fifoQueue.url);
    const dlq = await queueAttributes(first.resources.fifoQueue.deadLetterUrl);
    assert.equal(attributes.FifoQueue, 'true');
    assert.equal(attributes.ContentBasedDeduplication, 'false');
    assert.equal(dlq.FifoQueue, 'true');
    assert.match(first.resources.fifoQueue.deadLetterUrl, /-ordered-dlq\.fifo$/);
    assert.equal(JSON.parse(attributes.RedrivePolicy ?? '{}').deadLetterTargetArn, dlq.QueueArn);
  });

  test('the tables are on-demand with the keys and list indexes the adapters query', async () => {
    const describe = async (name: string) => (await clients.dynamo.send(new DescribeTableCommand({ TableName: name }))).Table!;
    const jobs = await describe(`${prefix}-jobs`);
    assert.equal(jobs.BillingModeSummary?.BillingMode, 'PAY_PER_REQUEST');
    assert.deepEqual(jobs.KeySchema, [{ AttributeName: 'jobId', KeyType: 'HASH' }]);
    const indexes = Object.fromEntries(
      (jobs.GlobalSecondaryIndexes ?? []).map((i) => [i.IndexName, i.KeySchema?.map((k) => k.AttributeName)]),
    );
    assert.deepEqual(indexes, {
      'by-created': ['listPartition', 'jobId'],
      'by-status': ['status', 'jobId'],
      'by-type': ['jobType', 'jobId'],
      'by-tenant': ['tenant', 'jobId'],
      'by-tenant-status': ['tenant', 'status'],
    });
    const events = await describe(`${prefix}-job-events`);
    assert.deepEqual(events.KeySchema, [
      { AttributeName: 'jobId', KeyType: 'HASH' },
      { AttributeName: 'seq', KeyType: 'RANGE' },
    ]);
    assert.deepEqual(
      events.AttributeDefinitions?.find((a) => a.AttributeName === 'seq'),
      { AttributeName: 'seq', AttributeType: 'N' },
    );
    const leases = await describe(`${prefix}-leases`);
    assert.deepEqual(leases.KeySchema, [{ AttributeName: 'leaseKey', KeyType: 'HASH' }]);
    const apiKeys = await describe(`${prefix}-api-keys`);
    assert.deepEqual(apiKeys.KeySchema, [{ AttributeName: 'keyId', KeyType: 'HASH' }]);
    assert.equal(first.env.AGENT_RUNNER_API_KEYS_TABLE, `${prefix}-api-keys`);
    const tenants = await describe(`${prefix}-tenants`);
    assert.deepEqual(tenants.KeySchema, [
      { AttributeName: 'tenant', KeyType: 'HASH' },
      { AttributeName: 'entry', KeyType: 'RANGE' },
    ]);
  });

  test('a jobs table made before the by-tenant indexes gets it when provisioned again', async () => {
    const older = uniquePrefix('older');
    await clients.dynamo.send(
      new CreateTableCommand({
        TableName: `${older}-jobs`,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'jobId', AttributeType: 'S' },
          { AttributeName: 'status', AttributeType: 'S' },
        ],
        KeySchema: [{ AttributeName: 'jobId', KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'by-status',
            KeySchema: [
              { AttributeName: 'status', KeyType: 'HASH' },
              { AttributeName: 'jobId', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'KEYS_ONLY' },
          },
        ],
      }),
    );
    await provisionAws({ region: REGION, endpoint, prefix: older, ecs: false });
    const table = (await clients.dynamo.send(new DescribeTableCommand({ TableName: `${older}-jobs` }))).Table!;
    const names = (table.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName).sort();
    assert.deepEqual(names, ['by-created', 'by-status', 'by-tenant', 'by-tenant-status', 'by-type']);
  });

  test('the bucket and the cluster exist; the bucket name carries the account and region', async () => {
    await clients.s3.send(new HeadBucketCommand({ Bucket: first.resources.bucket }));
    assert.equal(first.resources.bucket, `${prefix}-123456789012-${REGION}`);
    const clusters = await clients.ecs.send(new DescribeClustersCommand({ clusters: [prefix] }));
    assert.equal(clusters.clusters?.[0]?.status, 'ACTIVE');
  });

  test('the worker task definition is Fargate-ready and carries what the worker needs', async () => {
    const out = await clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: first.resources.ecs!.taskDefinition }));
    const definition = out.taskDefinition!;
    assert.deepEqual(definition.requiresCompatibilities, ['FARGATE']);
    assert.equal(definition.networkMode, 'awsvpc');
    assert.equal(definition.cpu, '512');
    assert.equal(definition.memory, '1024');
    const [container, ...others] = definition.containerDefinitions ?? [];
    assert.equal(others.length, 0);
    assert.equal(container?.name, 'worker');
    assert.equal(container?.image, 'agent-runner-worker:latest');
    // Container-level memory: moto answers RunTask with HTTP 500 without it, and every AWS test
    // launches its workers from this definition (test/support/aws-test-env.ts provisions it).
    assert.equal(container?.memory, 1024);
    assert.ok(container?.command?.includes('services/worker/src/entry.ts'), `command ${container?.command?.join(' ')}`);
    const env = Object.fromEntries((container?.environment ?? []).map((e) => [e.name, e.value]));
    // The worker's own configuration loads from the task definition's environment alone.
    const workerConfig = loadConfig(env as Record<string, string>);
    assert.equal(workerConfig.aws?.table, `${prefix}-jobs`);
    assert.equal(workerConfig.aws?.bucket, first.resources.bucket);
    assert.equal(workerConfig.aws?.eventsTable, `${prefix}-job-events`);
    assert.equal(workerConfig.aws?.leasesTable, `${prefix}-leases`);
    assert.equal(workerConfig.launcher, 'process', 'a worker launches nothing');
  });

  test('a queue setting changed by hand is put back; a new image registers a new revision', async () => {
    const url = first.resources.queues.low.url;
    await clients.sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { VisibilityTimeout: '5' } }));
    const again = await provisionAws({ region: REGION, endpoint, prefix, workerImage: 'registry.example/worker:2' });
    assert.equal((await queueAttributes(url)).VisibilityTimeout, '60');
    assert.match(again.resources.ecs!.taskDefinition, new RegExp(`task-definition/${prefix}-worker:2$`));
    assert.equal(again.env.AGENT_RUNNER_QUEUE_URL_LOW, url);
  });

  test('the warm pool: its queue and DLQ, the pool worker task definition, the ECS service, its scalable target and backlog policy', async () => {
    const pool = first.resources.ecs!.pool!;
    // The queue, in the env the services read, redriving to its own dead-letter queue.
    const url = first.env.AGENT_RUNNER_POOL_QUEUE_URL!;
    assert.match(url, new RegExp(`/${prefix}-pool$`));
    assert.equal(loadConfig(first.env).aws?.poolQueueUrl, url);
    const redrive = JSON.parse((await queueAttributes(url)).RedrivePolicy ?? '{}') as {
      deadLetterTargetArn?: string;
      maxReceiveCount?: number;
    };
    assert.match(redrive.deadLetterTargetArn ?? '', new RegExp(`:${prefix}-pool-dlq$`));
    assert.equal(Number(redrive.maxReceiveCount), 5);

    // The task definition runs the pool loop with the worker's environment (which names the queue).
    const definition = (await clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: pool.taskDefinition }))).taskDefinition!;
    assert.match(pool.taskDefinition, new RegExp(`task-definition/${prefix}-pool-worker:1$`));
    const container = definition.containerDefinitions![0]!;
    assert.ok(container.command?.includes('services/worker/src/sqs-pool-main.ts'), `command ${container.command?.join(' ')}`);
    const env = Object.fromEntries((container.environment ?? []).map((e) => [e.name, e.value])) as Record<string, string>;
    assert.equal(loadConfig(env).aws?.poolQueueUrl, url);

    // The service runs it, starting at the minimum (0: scaled to zero).
    const services = await clients.ecs.send(new DescribeServicesCommand({ cluster: prefix, services: [pool.service] }));
    const service = services.services![0]!;
    assert.equal(service.serviceName, `${prefix}-pool`);
    // The latest revision: the test before this one provisioned a new image, which the service now runs.
    assert.match(service.taskDefinition ?? '', new RegExp(`task-definition/${prefix}-pool-worker:2$`));
    assert.equal(service.desiredCount, 0);

    const scaling = new ApplicationAutoScalingClient({ region: REGION, endpoint });
    try {
      const describeTarget = async () =>
        (
          await scaling.send(
            new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs', ResourceIds: [`service/${prefix}/${prefix}-pool`] }),
          )
        ).ScalableTargets ?? [];
      const [target] = await describeTarget();
      assert.equal(target?.ScalableDimension, 'ecs:service:DesiredCount');
      assert.deepEqual([target?.MinCapacity, target?.MaxCapacity], [0, 16]);

      const policies = await scaling.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'ecs', ResourceId: pool.scalableTarget }));
      assert.equal(policies.ScalingPolicies?.length, 1);
      const policy = policies.ScalingPolicies![0]!;
      assert.equal(policy.PolicyName, `${prefix}-pool-backlog`);
      assert.equal(policy.PolicyType, 'TargetTrackingScaling');
      const tracking = policy.TargetTrackingScalingPolicyConfiguration!;
      assert.equal(tracking.TargetValue, 1);
      // Backlog per task: the queue's messages over the service's running tasks, by metric math.
      const metrics = tracking.CustomizedMetricSpecification?.Metrics ?? [];
      const returned = metrics.filter((m) => m.ReturnData);
      assert.equal(returned.length, 1);
      assert.match(returned[0]!.Expression ?? '', /\(waiting \+ taken\) \/ .*tasks/);
      const dimensions = (id: string) =>
        Object.fromEntries((metrics.find((m) => m.Id === id)?.MetricStat?.Metric?.Dimensions ?? []).map((d) => [d.Name, d.Value]));
      assert.deepEqual(dimensions('waiting'), { QueueName: `${prefix}-pool` });
      assert.deepEqual(dimensions('taken'), { QueueName: `${prefix}-pool` });
      assert.deepEqual(dimensions('tasks'), { ClusterName: prefix, ServiceName: `${prefix}-pool` });

      // Provisioned again with another range: the target follows, the service is updated, not duplicated.
      const again = await provisionAws({ region: REGION, endpoint, prefix, pool: { min: 1, max: 4 } });
      assert.equal(again.resources.ecs!.pool!.service, pool.service);
      const [updated] = await describeTarget();
      assert.deepEqual([updated?.MinCapacity, updated?.MaxCapacity], [1, 4]);
    } finally {
      scaling.destroy();
    }
  });
});

describe('agent-runner provision (runProvisionCommand)', { skip: Boolean(skipUnlessAws()) }, () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'agent-runner-provision-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('--write-env gets dotenv lines that loadConfig accepts', async () => {
    const endpoint = await motoEndpoint();
    const file = join(dir, '.env.aws');
    const prefix = uniquePrefix('cmd');
    const code = await runProvisionCommand(['--prefix', prefix, '--write-env', file], {
      AWS_REGION: REGION,
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    });
    assert.equal(code, 0);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    assert.ok(
      lines.every((l) => /^[A-Z_]+=\S+$/.test(l)),
      lines.join('\n'),
    );
    const env = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    const config = loadConfig(env);
    assert.equal(config.aws?.table, `${prefix}-jobs`);
    assert.equal(config.aws?.ecs?.cluster, prefix);
  });

  test('--no-ecs provisions queues, tables and bucket only: a configuration for the process launcher (LocalStack without ECS)', async () => {
    const endpoint = await motoEndpoint();
    const file = join(dir, '.env.no-ecs');
    const prefix = uniquePrefix('noecs');
    const env = { AWS_REGION: REGION, AWS_ENDPOINT_URL: endpoint, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };
    assert.equal(await runProvisionCommand(['--prefix', prefix, '--write-env', file, '--no-ecs'], env), 0);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const out = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    assert.equal(out.AGENT_RUNNER_ECS_CLUSTER, undefined);
    assert.equal(out.AGENT_RUNNER_TASK_DEFINITION, undefined);
    assert.throws(() => loadConfig(out), /AGENT_RUNNER_ECS_CLUSTER/, 'the ECS launcher cannot run on it');
    const config = loadConfig({ ...out, AGENT_RUNNER_LAUNCHER: 'process' });
    assert.equal(config.aws?.table, `${prefix}-jobs`);
    assert.equal(config.aws?.ecs, null);
    const clients = createAwsClients(REGION, endpoint);
    try {
      const clusters = await clients.ecs.send(new DescribeClustersCommand({ clusters: [prefix] }));
      assert.equal(clusters.clusters?.filter((c) => c.status === 'ACTIVE').length ?? 0, 0, 'no cluster was created');
      await clients.s3.send(new HeadBucketCommand({ Bucket: config.aws!.bucket }));
    } finally {
      clients.destroy();
    }
  });

  test('usage errors exit 2 before touching AWS', async () => {
    assert.equal(await runProvisionCommand(['--worker-env', 'not a pair'], { AWS_REGION: REGION }), 2);
    assert.equal(await runProvisionCommand(['--prefix', 'Bad_Prefix'], { AWS_REGION: REGION }), 2);
    assert.equal(await runProvisionCommand(['--no-such-flag'], { AWS_REGION: REGION }), 2);
    assert.equal(await runProvisionCommand([], {}), 2, 'no region');
  });
});
