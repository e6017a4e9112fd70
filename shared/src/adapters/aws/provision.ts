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
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { CreateClusterCommand } from '@aws-sdk/client-ecs';
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
import { type TemplateTable, templateEnvironmentRefs, templateQueues, templateTables } from './stack/stack-template.ts';
import { provisionPool, type ProvisionedPool } from './provision-pool.ts';
import { registerWorkerTaskDefinition } from './provision-task-definition.ts';

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
  /**
   * The warm pool service's scaling range (its scalable target): tasks kept when no pooled job waits
   * (0: scaled to zero) and the most there may be. Default 0 and 16, as the template's parameters.
   */
  pool?: { min: number; max: number };
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
  tables: { jobs: string; leases: string; events: string; apiKeys: string; tenants: string };
  bucket: string;
  /** The ECS part: null when provisioned with `ecs: false`. */
  ecs: {
    cluster: string;
    /** The task definition's ARN, revision included. */
    taskDefinition: string;
    subnets: string[];
    securityGroups: string[];
    /** The warm pool's task definition, service, scalable target and policy; null when the template has no pool queue. */
    pool: ProvisionedPool | null;
  } | null;
}

export interface Provisioned {
  resources: ProvisionedResources;
  /** The AGENT_RUNNER_* (and AWS_*) variables that point the services at what was created. */
  env: Record<string, string>;
}

export const DEFAULT_WORKER_IMAGE = 'agent-runner-worker:latest';

/**
 * Creates the template's queues and tables (infra/agent-runner.cfn.yaml, read by stack-template.ts), the
 * bucket, the ECS cluster and the worker task definition (a new revision only when it changed), and the
 * warm pool's task definition, ECS service, scalable target and scaling policy (provision-pool.ts),
 * idempotently, against any endpoint: for emulators and LocalStack, whose CloudFormation is partial or
 * absent. On AWS, `agent-runner deploy` deploys the template itself.
 */
export async function provisionAws(options: ProvisionOptions): Promise<Provisioned> {
  const clients = createAwsClients(options.region, options.endpoint);
  const ec2 = new EC2Client({ region: options.region, ...(options.endpoint ? { endpoint: options.endpoint } : {}) });
  const scaling = new ApplicationAutoScalingClient({ region: options.region, ...(options.endpoint ? { endpoint: options.endpoint } : {}) });
  try {
    const p = options.prefix;
    // Logical id (NormalQueue, JobsTable, …) → what was created, for the environment below.
    const created = new Map<string, string>();
    const byLogicalId = new Map<string, ProvisionedQueue>();
    const arns = new Map<string, string>();
    for (const queue of templateQueues(p)) {
      const attributes = { ...queue.attributes };
      if (queue.redrive) {
        const deadLetterArn = arns.get(queue.redrive.deadLetterLogicalId);
        if (!deadLetterArn)
          throw new Error(`${queue.logicalId}: its dead-letter queue ${queue.redrive.deadLetterLogicalId} is not in the template`);
        attributes.RedrivePolicy = JSON.stringify({ deadLetterTargetArn: deadLetterArn, maxReceiveCount: queue.redrive.maxReceiveCount });
      }
      const url = await ensureQueue(clients.sqs, queue.name, attributes);
      const arn = (await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes
        ?.QueueArn;
      if (!arn) throw new Error(`no ARN for the queue ${queue.name}`);
      arns.set(queue.logicalId, arn);
      created.set(queue.logicalId, url);
      if (queue.redrive) {
        const deadLetterUrl = created.get(queue.redrive.deadLetterLogicalId)!;
        byLogicalId.set(queue.logicalId, { url, deadLetterUrl, deadLetterArn: arns.get(queue.redrive.deadLetterLogicalId)! });
      }
    }
    const queueOf = (logicalId: string) => {
      const queue = byLogicalId.get(logicalId);
      if (!queue) throw new Error(`the template has no queue ${logicalId} with a dead-letter queue`);
      return queue;
    };
    const queues = Object.fromEntries(
      PRIORITIES.map((priority) => [priority, queueOf(`${priority[0]!.toUpperCase()}${priority.slice(1)}Queue`)]),
    ) as ProvisionedResources['queues'];
    const fifoQueue = queueOf('OrderedQueue');

    const tableNames: Record<string, string> = {};
    for (const table of templateTables(p)) {
      await createTable(clients.dynamo, table);
      if (table.ttlAttribute) await enableTtl(clients.dynamo, table.name, table.ttlAttribute);
      created.set(table.logicalId, table.name);
      // JobsTable → jobs, ApiKeysTable → apiKeys.
      const key = table.logicalId.replace(/Table$/, '');
      tableNames[`${key[0]!.toLowerCase()}${key.slice(1)}`] = table.name;
    }
    const tables = tableNames as ProvisionedResources['tables'];
    for (const key of ['jobs', 'leases', 'events', 'apiKeys', 'tenants'] as const)
      if (!tables[key]) throw new Error(`the template has no ${key} table`);

    // Bucket names are global: the account id (from a queue's ARN) keeps two accounts' apart.
    const account = queues.normal.deadLetterArn.split(':')[4];
    const bucket = (options.bucket ?? `${p}-${account ?? 'account'}-${options.region}`).toLowerCase();
    await createBucket(clients.s3, bucket, options.region);

    created.set('Bucket', bucket);

    // Each variable the template's containers set from a queue, table or the bucket (`!Ref JobsTable`).
    const env: Record<string, string> = {
      AGENT_RUNNER_BACKEND: 'aws',
      AWS_REGION: options.region,
      ...(options.endpoint ? { AWS_ENDPOINT_URL: options.endpoint } : {}),
    };
    for (const [variable, logicalId] of templateEnvironmentRefs()) {
      const value = created.get(logicalId);
      if (value !== undefined) env[variable] = value;
    }
    if (options.anthropicSecretName) env.AGENT_RUNNER_ANTHROPIC_SECRET_NAME = options.anthropicSecretName;
    if (options.ecs === false) return { resources: { queues, fifoQueue, tables, bucket, ecs: null }, env };

    // CreateCluster answers with the existing cluster when there is one (idempotent).
    const cluster = p;
    // Container Insights, as the template's cluster: the pool's scaling policy divides by its RunningTaskCount.
    await clients.ecs.send(new CreateClusterCommand({ clusterName: cluster, settings: [{ name: 'containerInsights', value: 'enabled' }] }));
    const network = await defaultNetwork(ec2, options);
    const image = options.workerImage ?? DEFAULT_WORKER_IMAGE;
    const workerEnv = {
      ...options.workerEnv,
      ...env,
      // A worker launches nothing, so it needs none of the ECS settings.
      AGENT_RUNNER_LAUNCHER: 'process',
    };
    const taskDefinition = await registerWorkerTaskDefinition(clients.ecs, `${p}-worker`, image, workerEnv);
    const poolQueue = templateQueues(p).find((q) => q.logicalId === 'PoolQueue');
    const pool = poolQueue
      ? await provisionPool(clients.ecs, scaling, {
          prefix: p,
          cluster,
          image,
          env: workerEnv,
          network,
          queueName: poolQueue.name,
          min: options.pool?.min ?? 0,
          max: options.pool?.max ?? 16,
        })
      : null;
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
        tables,
        bucket,
        ecs: { cluster, taskDefinition, subnets: network.subnets, securityGroups: network.securityGroups, pool },
      },
      env,
    };
  } finally {
    clients.destroy();
    ec2.destroy();
    scaling.destroy();
  }
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

/** Creates the table as the template defines it, or adds the indexes an existing one lacks. */
async function createTable(dynamo: DynamoDBClient, table: TemplateTable): Promise<void> {
  const indexes = table.globalSecondaryIndexes;
  try {
    await dynamo.send(
      new CreateTableCommand({
        TableName: table.name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: table.attributeDefinitions,
        KeySchema: table.keySchema,
        ...(indexes.length > 0 ? { GlobalSecondaryIndexes: indexes } : {}),
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitUntilTableExists({ client: dynamo, maxWaitTime: 120, minDelay: 1 }, { TableName: table.name });
  if (indexes.length > 0) await addMissingIndexes(dynamo, table.name, table.attributeDefinitions, indexes);
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
