import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  type AttributeDefinition,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
} from '@aws-sdk/client-dynamodb';
import { DescribeSecurityGroupsCommand, DescribeSubnetsCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  CreateClusterCommand,
  DescribeTaskDefinitionCommand,
  RegisterTaskDefinitionCommand,
  type ContainerDefinition,
  type ECSClient,
} from '@aws-sdk/client-ecs';
import { CreateBucketCommand, HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueNameExists,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { PRIORITIES } from '../../domain/job.ts';
import { createAwsClients } from './aws-clients.ts';
import { JOBS_TABLE } from './jobs-table.ts';
import { TENANTS_TABLE } from './tenants-table.ts';
import { WEBHOOK_ENDPOINTS_TABLE } from './webhook-endpoints-table.ts';
import { WEBHOOK_DELIVERIES_TABLE } from './webhook-deliveries-table.ts';

export interface ProvisionOptions {
  region: string;
  /** LocalStack, moto, or null for real AWS. */
  endpoint: string | null;
  /** Names every resource: `<prefix>-normal`, `<prefix>-jobs`, … */
  prefix: string;
  /** The worker image for the task definition; default `agent-runner-worker:latest`. */
  workerImage?: string;
  /** Default: `<prefix>-<account id>-<region>` (bucket names are global across all accounts). */
  bucket?: string;
  /** Default: the default VPC's subnets. */
  subnets?: string[];
  /** Default: the default VPC's default security group. */
  securityGroups?: string[];
  /** Secrets Manager name of the Anthropic API key, passed to workers. */
  anthropicSecretName?: string;
  /**
   * More variables for the worker's task definition, e.g. ANTHROPIC_BASE_URL for a gateway or
   * AGENT_RUNNER_ALLOWED_MODELS. Never secrets: task definitions are readable; use the secret name.
   */
  workerEnv?: Record<string, string>;
  /**
   * Default true. False skips the ECS cluster, the task definition and the network lookup: for
   * deployments whose dispatcher uses the process launcher (LocalStack's free edition has no ECS).
   */
  ecs?: boolean;
}

export interface ProvisionedQueue {
  url: string;
  deadLetterUrl: string;
  deadLetterArn: string;
}

/** What exists after provisioning (names, URLs and ARNs as the services use them). */
export interface ProvisionedResources {
  queues: Record<(typeof PRIORITIES)[number], ProvisionedQueue>;
  fifoQueue: ProvisionedQueue;
  /** Wakes dispatchers for due webhook deliveries. */
  webhookQueue: ProvisionedQueue;
  tables: {
    jobs: string;
    leases: string;
    events: string;
    apiKeys: string;
    tenants: string;
    webhookDeliveries: string;
    webhookEndpoints: string;
  };
  bucket: string;
  /** The ECS part: null when provisioned with `ecs: false`. */
  ecs: {
    cluster: string;
    /** The task definition's ARN, revision included. */
    taskDefinition: string;
    subnets: string[];
    securityGroups: string[];
  } | null;
}

export interface Provisioned {
  resources: ProvisionedResources;
  /** The AGENT_RUNNER_* (and AWS_*) variables that point the services at what was created. */
  env: Record<string, string>;
}

export const DEFAULT_WORKER_IMAGE = 'agent-runner-worker:latest';

/** A message received this often without being deleted goes to the dead-letter queue. */
export const MAX_RECEIVE_COUNT = 5;
/** 14 days: the longest SQS keeps a message (MessageRetentionPeriod), so dead letters wait to be read. */
const DLQ_RETENTION_SECONDS = 1_209_600;

/**
 * Creates everything agent-runner needs, idempotently, against any endpoint: four priority queues
 * and a FIFO queue (each with a dead-letter queue), the jobs, leases, events, tenants and webhook endpoints tables, the bucket,
 * the ECS cluster and the worker task definition (a new revision only when it changed).
 */
export async function provisionAws(options: ProvisionOptions): Promise<Provisioned> {
  const clients = createAwsClients(options.region, options.endpoint);
  const ec2 = new EC2Client({ region: options.region, ...(options.endpoint ? { endpoint: options.endpoint } : {}) });
  try {
    const p = options.prefix;
    const queues = {} as ProvisionedResources['queues'];
    for (const priority of PRIORITIES) queues[priority] = await createQueueWithDlq(clients.sqs, `${p}-${priority}`, false);
    const fifoQueue = await createQueueWithDlq(clients.sqs, `${p}-ordered`, true);
    const webhookQueue = await createQueueWithDlq(clients.sqs, `${p}-webhooks`, false);

    const tables = {
      jobs: `${p}-jobs`,
      leases: `${p}-leases`,
      events: `${p}-job-events`,
      apiKeys: `${p}-api-keys`,
      tenants: `${p}-tenants`,
      webhookDeliveries: `${p}-webhook-deliveries`,
      webhookEndpoints: `${p}-webhook-endpoints`,
    };
    await createJobsTable(clients.dynamo, tables.jobs);
    // Only idempotency records carry this attribute: job records never expire.
    await enableTtl(clients.dynamo, tables.jobs, JOBS_TABLE.idempotency.ttlAttribute);
    await createTable(
      clients.dynamo,
      tables.leases,
      [{ AttributeName: 'leaseKey', AttributeType: 'S' }],
      [{ AttributeName: 'leaseKey', KeyType: 'HASH' }],
    );
    await createTable(
      clients.dynamo,
      tables.events,
      [
        { AttributeName: 'jobId', AttributeType: 'S' },
        { AttributeName: 'seq', AttributeType: 'N' },
      ],
      [
        { AttributeName: 'jobId', KeyType: 'HASH' },
        { AttributeName: 'seq', KeyType: 'RANGE' },
      ],
    );
    await enableTtl(clients.dynamo, tables.events, 'expiresAt');
    await createTable(
      clients.dynamo,
      tables.apiKeys,
      [{ AttributeName: 'keyId', AttributeType: 'S' }],
      [{ AttributeName: 'keyId', KeyType: 'HASH' }],
    );
    await createTable(
      clients.dynamo,
      tables.tenants,
      [
        { AttributeName: TENANTS_TABLE.partitionKey, AttributeType: 'S' },
        { AttributeName: TENANTS_TABLE.sortKey, AttributeType: 'S' },
      ],
      [
        { AttributeName: TENANTS_TABLE.partitionKey, KeyType: 'HASH' },
        { AttributeName: TENANTS_TABLE.sortKey, KeyType: 'RANGE' },
      ],
    );
    await enableTtl(clients.dynamo, tables.tenants, TENANTS_TABLE.ttlAttribute);
    const endpoints = WEBHOOK_ENDPOINTS_TABLE;
    await createTable(
      clients.dynamo,
      tables.webhookEndpoints,
      [
        { AttributeName: endpoints.partitionKey, AttributeType: 'S' },
        { AttributeName: endpoints.sortKey, AttributeType: 'S' },
      ],
      [
        { AttributeName: endpoints.partitionKey, KeyType: 'HASH' },
        { AttributeName: endpoints.sortKey, KeyType: 'RANGE' },
      ],
      [
        {
          IndexName: endpoints.byIdIndex.name,
          KeySchema: [{ AttributeName: endpoints.byIdIndex.partitionKey, KeyType: 'HASH' }],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    );
    await createWebhookDeliveriesTable(clients.dynamo, tables.webhookDeliveries);

    // Bucket names are global: the account id (from a queue's ARN) keeps two accounts' apart.
    const account = queues.normal.deadLetterArn.split(':')[4];
    const bucket = (options.bucket ?? `${p}-${account ?? 'account'}-${options.region}`).toLowerCase();
    await createBucket(clients.s3, bucket, options.region);

    const env: Record<string, string> = {
      AGENT_RUNNER_BACKEND: 'aws',
      AWS_REGION: options.region,
      ...(options.endpoint ? { AWS_ENDPOINT_URL: options.endpoint } : {}),
      AGENT_RUNNER_TABLE: tables.jobs,
      AGENT_RUNNER_LEASES_TABLE: tables.leases,
      AGENT_RUNNER_EVENTS_TABLE: tables.events,
      AGENT_RUNNER_API_KEYS_TABLE: tables.apiKeys,
      AGENT_RUNNER_TENANTS_TABLE: tables.tenants,
      AGENT_RUNNER_WEBHOOK_ENDPOINTS_TABLE: tables.webhookEndpoints,
      AGENT_RUNNER_BUCKET: bucket,
      AGENT_RUNNER_QUEUE_URL: queues.normal.url,
      AGENT_RUNNER_QUEUE_URL_CRITICAL: queues.critical.url,
      AGENT_RUNNER_QUEUE_URL_HIGH: queues.high.url,
      AGENT_RUNNER_QUEUE_URL_LOW: queues.low.url,
      AGENT_RUNNER_FIFO_QUEUE_URL: fifoQueue.url,
      AGENT_RUNNER_WEBHOOK_DELIVERIES_TABLE: tables.webhookDeliveries,
      AGENT_RUNNER_WEBHOOK_QUEUE_URL: webhookQueue.url,
      ...(options.anthropicSecretName ? { AGENT_RUNNER_ANTHROPIC_SECRET_NAME: options.anthropicSecretName } : {}),
    };
    if (options.ecs === false) return { resources: { queues, fifoQueue, webhookQueue, tables, bucket, ecs: null }, env };

    // CreateCluster answers with the existing cluster when there is one (idempotent).
    const cluster = p;
    await clients.ecs.send(new CreateClusterCommand({ clusterName: cluster }));
    const network = await defaultNetwork(ec2, options);
    const taskDefinition = await registerWorkerTaskDefinition(clients.ecs, `${p}-worker`, options.workerImage ?? DEFAULT_WORKER_IMAGE, {
      ...options.workerEnv,
      ...env,
      // A worker launches nothing, so it needs none of the ECS settings.
      AGENT_RUNNER_LAUNCHER: 'process',
    });
    Object.assign(env, {
      AGENT_RUNNER_ECS_CLUSTER: cluster,
      AGENT_RUNNER_TASK_DEFINITION: taskDefinition,
      AGENT_RUNNER_SUBNETS: network.subnets.join(','),
      AGENT_RUNNER_SECURITY_GROUPS: network.securityGroups.join(','),
    });
    return {
      resources: {
        queues,
        fifoQueue,
        webhookQueue,
        tables,
        bucket,
        ecs: { cluster, taskDefinition, subnets: network.subnets, securityGroups: network.securityGroups },
      },
      env,
    };
  } finally {
    clients.destroy();
    ec2.destroy();
  }
}

async function createQueueWithDlq(sqs: SQSClient, name: string, fifo: boolean): Promise<ProvisionedQueue> {
  const suffix = fifo ? '.fifo' : '';
  // A FIFO queue's dead-letter queue must be FIFO too (SQS developer guide, "dead-letter queues").
  const fifoAttributes: Record<string, string> = fifo ? { FifoQueue: 'true', ContentBasedDeduplication: 'false' } : {};
  const deadLetterUrl = await ensureQueue(sqs, `${name}-dlq${suffix}`, {
    ...fifoAttributes,
    MessageRetentionPeriod: String(DLQ_RETENTION_SECONDS),
  });
  const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: deadLetterUrl, AttributeNames: ['QueueArn'] }))).Attributes
    ?.QueueArn;
  if (!dlqArn) throw new Error(`no ARN for the dead-letter queue ${name}-dlq${suffix}`);
  const url = await ensureQueue(sqs, `${name}${suffix}`, {
    ...fifoAttributes,
    VisibilityTimeout: '60',
    // The default long poll for receivers that do not ask for one (sqs-consumer always does).
    ReceiveMessageWaitTimeSeconds: '20',
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: MAX_RECEIVE_COUNT }),
  });
  return { url, deadLetterUrl, deadLetterArn: dlqArn };
}

/**
 * CreateQueue is idempotent only while the attributes are the same; with changed ones SQS answers
 * QueueAlreadyExists. Then the existing queue is brought in line (FifoQueue cannot change, and
 * setting it is refused, so it is left out).
 */
async function ensureQueue(sqs: SQSClient, name: string, attributes: Record<string, string>): Promise<string> {
  try {
    const created = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    return created.QueueUrl!;
  } catch (error) {
    if (!(error instanceof QueueNameExists)) throw error;
  }
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
  const { FifoQueue: _fixed, ...changeable } = attributes;
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl: QueueUrl!, Attributes: changeable }));
  return QueueUrl!;
}

async function createJobsTable(dynamo: DynamoDBClient, name: string): Promise<void> {
  const attributes = new Map<string, AttributeDefinition>();
  const indexes: GlobalSecondaryIndex[] = [];
  attributes.set('jobId', { AttributeName: 'jobId', AttributeType: 'S' });
  for (const index of [
    JOBS_TABLE.allIndex,
    JOBS_TABLE.statusIndex,
    JOBS_TABLE.typeIndex,
    JOBS_TABLE.tenantIndex,
    JOBS_TABLE.tenantStatusIndex,
  ]) {
    attributes.set(index.partitionKey, { AttributeName: index.partitionKey, AttributeType: 'S' });
    attributes.set(index.sortKey, { AttributeName: index.sortKey, AttributeType: 'S' });
    indexes.push({
      IndexName: index.name,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' },
        { AttributeName: index.sortKey, KeyType: 'RANGE' },
      ],
      Projection:
        index.include.length > 0 ? { ProjectionType: 'INCLUDE', NonKeyAttributes: [...index.include] } : { ProjectionType: 'KEYS_ONLY' },
    });
  }
  await createTable(dynamo, name, [...attributes.values()], [{ AttributeName: 'jobId', KeyType: 'HASH' }], indexes);
  await addMissingIndexes(dynamo, name, [...attributes.values()], indexes);
}

/** The webhook outbox: by delivery id, with a subject's deliveries and the due PENDING ones indexed (keys only). */
async function createWebhookDeliveriesTable(dynamo: DynamoDBClient, name: string): Promise<void> {
  const t = WEBHOOK_DELIVERIES_TABLE;
  const attributes: AttributeDefinition[] = [
    { AttributeName: t.partitionKey, AttributeType: 'S' },
    { AttributeName: t.subjectIndex.partitionKey, AttributeType: 'S' },
    { AttributeName: t.dueIndex.partitionKey, AttributeType: 'S' },
    { AttributeName: t.dueIndex.sortKey, AttributeType: 'S' },
  ];
  const indexes: GlobalSecondaryIndex[] = [t.subjectIndex, t.dueIndex].map((index) => ({
    IndexName: index.name,
    KeySchema: [
      { AttributeName: index.partitionKey, KeyType: 'HASH' },
      { AttributeName: index.sortKey, KeyType: 'RANGE' },
    ],
    Projection: { ProjectionType: 'KEYS_ONLY' },
  }));
  await createTable(dynamo, name, attributes, [{ AttributeName: t.partitionKey, KeyType: 'HASH' }], indexes);
}

/**
 * A table made by an older build lacks the indexes added since (by-tenant, by-tenant-status): add each, one per
 * UpdateTable (DynamoDB builds one new index per call), and wait until it can be queried.
 */
async function addMissingIndexes(
  dynamo: DynamoDBClient,
  table: string,
  attributes: AttributeDefinition[],
  indexes: GlobalSecondaryIndex[],
): Promise<void> {
  const existing = async () => (await dynamo.send(new DescribeTableCommand({ TableName: table }))).Table?.GlobalSecondaryIndexes ?? [];
  const names = new Set((await existing()).map((i) => i.IndexName));
  for (const index of indexes.filter((i) => !names.has(i.IndexName))) {
    await dynamo.send(
      new UpdateTableCommand({ TableName: table, AttributeDefinitions: attributes, GlobalSecondaryIndexUpdates: [{ Create: index }] }),
    );
    for (let waited = 0; ; waited += 2) {
      const status = (await existing()).find((i) => i.IndexName === index.IndexName)?.IndexStatus;
      if (status === 'ACTIVE' || status === undefined) break;
      if (waited > 600) throw new Error(`index ${index.IndexName} of ${table} is still ${status} after 10 minutes`);
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

async function createTable(
  dynamo: DynamoDBClient,
  name: string,
  attributes: AttributeDefinition[],
  keySchema: { AttributeName: string; KeyType: 'HASH' | 'RANGE' }[],
  indexes: GlobalSecondaryIndex[] = [],
): Promise<void> {
  try {
    await dynamo.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: attributes,
        KeySchema: keySchema,
        ...(indexes.length > 0 ? { GlobalSecondaryIndexes: indexes } : {}),
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitUntilTableExists({ client: dynamo, maxWaitTime: 120, minDelay: 1 }, { TableName: name });
  await dynamo.send(new DescribeTableCommand({ TableName: name }));
}

async function enableTtl(dynamo: DynamoDBClient, table: string, attribute: string): Promise<void> {
  try {
    await dynamo.send(
      new UpdateTimeToLiveCommand({ TableName: table, TimeToLiveSpecification: { AttributeName: attribute, Enabled: true } }),
    );
  } catch (error) {
    // Enabling TTL that is already enabled is refused with a ValidationException: that is success.
    if ((error as { name?: string }).name !== 'ValidationException') throw error;
  }
}

async function createBucket(s3: S3Client, bucket: string, region: string): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return;
  } catch {
    // absent (or not ours: CreateBucket says which)
  }
  try {
    await s3.send(
      new CreateBucketCommand({
        Bucket: bucket,
        // us-east-1 is the one region that refuses a LocationConstraint naming itself.
        ...(region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: region as never } }),
      }),
    );
  } catch (error) {
    if ((error as { name?: string }).name !== 'BucketAlreadyOwnedByYou') throw error;
  }
}

async function defaultNetwork(ec2: EC2Client, options: ProvisionOptions): Promise<{ subnets: string[]; securityGroups: string[] }> {
  if (options.subnets?.length && options.securityGroups?.length)
    return { subnets: options.subnets, securityGroups: options.securityGroups };
  const vpcs = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'isDefault', Values: ['true'] }] }));
  const vpcId = vpcs.Vpcs?.[0]?.VpcId;
  if (!vpcId) throw new Error('no default VPC: pass --subnets and --security-groups');
  const subnets =
    options.subnets ??
    ((await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))).Subnets ?? [])
      .map((s) => s.SubnetId!)
      .slice(0, 3);
  const securityGroups =
    options.securityGroups ??
    (
      (
        await ec2.send(
          new DescribeSecurityGroupsCommand({
            Filters: [
              { Name: 'vpc-id', Values: [vpcId] },
              { Name: 'group-name', Values: ['default'] },
            ],
          }),
        )
      ).SecurityGroups ?? []
    ).map((g) => g.GroupId!);
  if (subnets.length === 0 || securityGroups.length === 0) throw new Error('the default VPC has no subnets or no default security group');
  return { subnets, securityGroups };
}

/** Registers the worker task definition, unless the latest revision already says the same. */
async function registerWorkerTaskDefinition(ecs: ECSClient, family: string, image: string, env: Record<string, string>): Promise<string> {
  const container: ContainerDefinition = {
    name: 'worker',
    image,
    essential: true,
    // Container-level memory: Fargate only needs task-level sizes, but moto refuses RunTask without it.
    memory: 1024,
    workingDirectory: '/app',
    command: ['node', '--disable-warning=ExperimentalWarning', 'services/worker/src/entry.ts'],
    environment: Object.entries(env)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, value]) => ({ name, value })),
  };
  try {
    const latest = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: family }));
    const existing = latest.taskDefinition?.containerDefinitions?.[0];
    if (latest.taskDefinition?.taskDefinitionArn && existing && sameContainer(existing, container))
      return latest.taskDefinition.taskDefinitionArn;
  } catch {
    // no revision yet
  }
  const out = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family,
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '512',
      memory: '1024',
      containerDefinitions: [container],
    }),
  );
  return out.taskDefinition!.taskDefinitionArn!;
}

function sameContainer(a: ContainerDefinition, b: ContainerDefinition): boolean {
  const key = (c: ContainerDefinition) =>
    JSON.stringify({
      image: c.image,
      command: c.command,
      workingDirectory: c.workingDirectory,
      memory: c.memory,
      environment: [...(c.environment ?? [])].sort((x, y) => (x.name ?? '').localeCompare(y.name ?? '')),
    });
  return key(a) === key(b);
}
