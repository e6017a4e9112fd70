import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ECSClient } from '@aws-sdk/client-ecs';
import { S3Client } from '@aws-sdk/client-s3';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Backend, FeedOptions } from '../../compose/backend.ts';
import type { Config } from '../../config/config.ts';
import type { Priority } from '../../domain/job.ts';
import { DynamoDbApiKeyStore } from './dynamodb-api-keys.ts';
import { DynamoDbConcurrencyLeases } from './dynamodb-concurrency-leases.ts';
import { DynamoDbJobEventLog } from './dynamodb-job-event-log.ts';
import { DynamoDbJobStore } from './dynamodb-job-store.ts';
import { DynamoDbPipelineStore } from './dynamodb-pipeline-store.ts';
import { DynamoDbQueuedJobCount } from './dynamodb-queued-job-count.ts';
import { DynamoDbTenantSettings } from './dynamodb-tenant-settings.ts';
import { DynamoDbTenantSpend } from './dynamodb-tenant-spend.ts';
import { DynamoDbWebhookEndpointStore } from './dynamodb-webhook-endpoints.ts';
import {
  FeedLoadedOnFirstUse,
  LauncherLoadedOnFirstUse,
  QueueLoadedOnFirstUse,
  SecretsLoadedOnFirstUse,
  once,
} from '../load-on-first-use.ts';
import { S3BlobStore } from './s3-blob-store.ts';
import { createLocalLauncher } from '../process/local-launcher.ts';
import { IsolationRoutingLauncher } from '../isolation-routing-launcher.ts';
import { QueuePoolLauncher } from '../queue-pool-launcher.ts';
import type { PoolHandOff, PoolQueue, ReceivedHandOff } from '../../ports/pool-queue.ts';
import type { WebhookDeliveryQueue } from '../../ports/webhook-deliveries.ts';
import { DynamoDbWebhookDeliveries } from './dynamodb-webhook-deliveries.ts';
import { DynamoDbWebhookSecrets } from './dynamodb-webhook-secrets.ts';

/**
 * The AWS backend: DynamoDB (jobs, leases, events, tenants), SQS (four priority queues + FIFO), S3 and
 * Secrets Manager, with workers as ECS Fargate tasks — or as local processes when
 * AGENT_RUNNER_LAUNCHER=process (docker-compose against LocalStack).
 */
export async function createAwsBackend(config: Config): Promise<Backend> {
  const aws = config.aws;
  if (!aws) throw new Error('the aws backend needs the aws configuration');
  // Built as aws-clients.ts builds them. DynamoDB and S3 serve every service (a worker reads its
  // job and writes its result); SQS, ECS and Secrets Manager are imported on first use, so a
  // worker (one process per job) loads only the clients its job needs (load-on-first-use.ts).
  const common = { region: aws.region, ...(aws.endpoint ? { endpoint: aws.endpoint } : {}) };
  const dynamo = new DynamoDBClient(common);
  const doc = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false } });
  const s3 = new S3Client({ ...common, forcePathStyle: aws.endpoint !== null });
  const loaded: { destroy(): void }[] = [doc, dynamo, s3];
  const sqs = once(async (): Promise<SQSClient> => {
    const client = new (await import('@aws-sdk/client-sqs')).SQSClient(common);
    loaded.push(client);
    return client;
  });
  const ecs = once(async (): Promise<ECSClient> => {
    const client = new (await import('@aws-sdk/client-ecs')).ECSClient(common);
    loaded.push(client);
    return client;
  });
  const secrets = once(async (): Promise<SecretsManagerClient> => {
    const client = new (await import('@aws-sdk/client-secrets-manager')).SecretsManagerClient(common);
    loaded.push(client);
    return client;
  });
  const queue = new QueueLoadedOnFirstUse(async () => {
    const { SqsJobQueue } = await import('./sqs-job-queue.ts');
    return new SqsJobQueue(await sqs(), { byPriority: aws.queueUrls, fifo: aws.fifoQueueUrl });
  });
  const webhookQueueUrl = aws.webhookQueueUrl;
  const webhookQueue =
    webhookQueueUrl === null
      ? null
      : new WebhookQueueLoadedOnFirstUse(async () => {
          const { SqsWebhookQueue } = await import('./sqs-webhook-queue.ts');
          return new SqsWebhookQueue(await sqs(), webhookQueueUrl);
        });
  const poolQueueUrl = aws.poolQueueUrl;
  const poolQueue =
    poolQueueUrl === null
      ? null
      : new PoolQueueLoadedOnFirstUse(poolQueueUrl, async () => {
          const { SqsPoolQueue } = await import('./sqs-pool-queue.ts');
          return new SqsPoolQueue(await sqs(), poolQueueUrl);
        });
  const feeds = new Set<FeedLoadedOnFirstUse>();
  // What a locally launched worker needs of this process's environment (credentials included).
  const baseEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY,
    AWS_SESSION_TOKEN: process.env.AWS_SESSION_TOKEN,
    AWS_PROFILE: process.env.AWS_PROFILE,
  };
  let closed: Promise<void> | null = null;
  // Where a write that ends a job or a pipeline puts the webhook deliveries it owes.
  const outbox = {
    table: aws.webhookDeliveriesTable,
    announce: async (deliveries: readonly { deliveryId: string }[]) => {
      for (const d of deliveries) await webhookQueue?.send(d.deliveryId, 0);
    },
  };

  const jobs = new DynamoDbJobStore(doc, aws.table, outbox);

  return {
    name: 'aws',
    jobs,
    queue,
    blobs: new S3BlobStore(s3, aws.bucket),
    secrets: new SecretsLoadedOnFirstUse(
      async () => new (await import('./secrets-manager-source.ts')).SecretsManagerSource(await secrets()),
    ),
    leases: new DynamoDbConcurrencyLeases(doc, aws.leasesTable),
    events: new DynamoDbJobEventLog(doc, aws.eventsTable, config.events.retentionSeconds),
    apiKeys: new DynamoDbApiKeyStore(doc, aws.apiKeysTable),
    tenants: new DynamoDbTenantSettings(doc, aws.tenantsTable),
    tenantSpend: new DynamoDbTenantSpend(doc, aws.tenantsTable),
    queuedJobs: new DynamoDbQueuedJobCount(doc, aws.table),
    pipelines: new DynamoDbPipelineStore(doc, aws.table, outbox),
    webhookEndpoints: new DynamoDbWebhookEndpointStore(doc, aws.webhookEndpointsTable),
    webhookDeliveries: new DynamoDbWebhookDeliveries(doc, aws.webhookDeliveriesTable, webhookQueue),
    webhookQueue,
    poolQueue,
    webhookSecrets: new DynamoDbWebhookSecrets(doc, aws.tenantsTable),
    createFeed(options: FeedOptions) {
      const urls = [...Object.values(aws.queueUrls), ...(aws.fifoQueueUrl ? [aws.fifoQueueUrl] : [])];
      const feed = new FeedLoadedOnFirstUse(async () => {
        const { SqsJobFeed } = await import('./sqs-job-feed.ts');
        return new SqsJobFeed(await sqs(), urls, options, {
          waitTimeSeconds: aws.queueWaitSeconds,
          fifoUrl: aws.fifoQueueUrl,
          priorityOf: soleClassOfQueue(aws.queueUrls),
        });
      });
      feeds.add(feed);
      return feed;
    },
    createLauncher() {
      if (config.launcher === 'ecs') {
        const settings = aws.ecs;
        if (!settings) throw new Error('the ecs launcher needs the ECS configuration');
        const { ecsExec, workerLogs } = config.observability;
        const options = { enableExecuteCommand: ecsExec, logs: workerLogs && { ...workerLogs, region: aws.region } };
        const tasks = new LauncherLoadedOnFirstUse(
          async () => new (await import('./ecs-launcher.ts')).EcsLauncher(await ecs(), settings, options),
        );
        // Pooled attempts go to the pool queue; the tasks they run in are ECS's to answer for.
        return new IsolationRoutingLauncher(tasks, poolQueue ? new QueuePoolLauncher(poolQueue, jobs, tasks) : null);
      }
      return createLocalLauncher(config, baseEnv);
    },
    close() {
      closed ??= (async () => {
        await Promise.all([...feeds].map((feed) => feed.stop()));
        for (const client of loaded) client.destroy();
      })();
      return closed;
    },
  };
}

/** The webhook queue, its SQS client and adapter imported on first use (most workers never need them). */
class WebhookQueueLoadedOnFirstUse implements WebhookDeliveryQueue {
  private readonly queue: () => Promise<WebhookDeliveryQueue>;
  constructor(load: () => Promise<WebhookDeliveryQueue>) {
    this.queue = once(load);
  }
  async send(deliveryId: string, delaySeconds: number): Promise<void> {
    return (await this.queue()).send(deliveryId, delaySeconds);
  }
  async receive(max: number, waitSeconds: number, visibilitySeconds: number): Promise<{ deliveryId: string; receipt: string }[]> {
    return (await this.queue()).receive(max, waitSeconds, visibilitySeconds);
  }
  async delete(receipt: string): Promise<void> {
    return (await this.queue()).delete(receipt);
  }
}

/** The pool queue, its SQS client and adapter imported on first use (a one-shot worker never needs them). */
class PoolQueueLoadedOnFirstUse implements PoolQueue {
  readonly name: string;
  private readonly queue: () => Promise<PoolQueue>;
  constructor(url: string, load: () => Promise<PoolQueue>) {
    // The same name the adapter gives it, without loading the adapter.
    this.name = url.split('/').pop() || url;
    this.queue = once(load);
  }
  async send(handOff: PoolHandOff): Promise<void> {
    return (await this.queue()).send(handOff);
  }
  async receive(waitSeconds: number, visibilitySeconds: number, signal?: AbortSignal): Promise<ReceivedHandOff | null> {
    return (await this.queue()).receive(waitSeconds, visibilitySeconds, signal);
  }
  async extend(receipt: string, visibilitySeconds: number): Promise<void> {
    return (await this.queue()).extend(receipt, visibilitySeconds);
  }
  async delete(receipt: string): Promise<void> {
    return (await this.queue()).delete(receipt);
  }
}

/** Each queue URL that carries one priority class only, with that class (a shared URL mixes them). */
function soleClassOfQueue(queueUrls: Record<Priority, string>): Map<string, Priority> {
  const classes = new Map<string, Priority[]>();
  for (const [priority, url] of Object.entries(queueUrls) as [Priority, string][])
    classes.set(url, [...(classes.get(url) ?? []), priority]);
  return new Map([...classes].filter(([, of]) => of.length === 1).map(([url, [priority]]) => [url, priority!]));
}
