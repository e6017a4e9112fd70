import type { Backend, FeedOptions } from '../../compose/backend.ts';
import type { Config } from '../../config/config.ts';
import type { Priority } from '../../domain/job.ts';
import { createProcessLauncher } from '../process/process-launcher.ts';
import { createAwsClients } from './aws-clients.ts';
import { DynamoDbApiKeyStore } from './dynamodb-api-keys.ts';
import { DynamoDbConcurrencyLeases } from './dynamodb-concurrency-leases.ts';
import { DynamoDbJobEventLog } from './dynamodb-job-event-log.ts';
import { DynamoDbJobStore } from './dynamodb-job-store.ts';
import { DynamoDbQueuedJobCount } from './dynamodb-queued-job-count.ts';
import { DynamoDbTenantSettings } from './dynamodb-tenant-settings.ts';
import { DynamoDbTenantSpend } from './dynamodb-tenant-spend.ts';
import { EcsLauncher } from './ecs-launcher.ts';
import { S3BlobStore } from './s3-blob-store.ts';
import { SecretsManagerSource } from './secrets-manager-source.ts';
import { SqsJobFeed } from './sqs-job-feed.ts';
import { SqsJobQueue } from './sqs-job-queue.ts';

/**
 * The AWS backend: DynamoDB (jobs, leases, events, tenants), SQS (four priority queues + FIFO), S3 and
 * Secrets Manager, with workers as ECS Fargate tasks — or as local processes when
 * AGENT_RUNNER_LAUNCHER=process (docker-compose against LocalStack).
 */
export async function createAwsBackend(config: Config): Promise<Backend> {
  const aws = config.aws;
  if (!aws) throw new Error('the aws backend needs the aws configuration');
  const clients = createAwsClients(aws.region, aws.endpoint);
  const queue = new SqsJobQueue(clients.sqs, { byPriority: aws.queueUrls, fifo: aws.fifoQueueUrl });
  const feeds = new Set<SqsJobFeed>();
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

  return {
    name: 'aws',
    jobs: new DynamoDbJobStore(clients.doc, aws.table),
    queue,
    blobs: new S3BlobStore(clients.s3, aws.bucket),
    secrets: new SecretsManagerSource(clients.secrets),
    leases: new DynamoDbConcurrencyLeases(clients.doc, aws.leasesTable),
    events: new DynamoDbJobEventLog(clients.doc, aws.eventsTable, config.events.retentionSeconds),
    apiKeys: new DynamoDbApiKeyStore(clients.doc, aws.apiKeysTable),
    tenants: new DynamoDbTenantSettings(clients.doc, aws.tenantsTable),
    tenantSpend: new DynamoDbTenantSpend(clients.doc, aws.tenantsTable),
    queuedJobs: new DynamoDbQueuedJobCount(clients.doc, aws.table),
    createFeed(options: FeedOptions) {
      const urls = [...Object.values(aws.queueUrls), ...(aws.fifoQueueUrl ? [aws.fifoQueueUrl] : [])];
      const feed = new SqsJobFeed(clients.sqs, urls, options, {
        waitTimeSeconds: aws.queueWaitSeconds,
        fifoUrl: aws.fifoQueueUrl,
        priorityOf: soleClassOfQueue(aws.queueUrls),
      });
      feeds.add(feed);
      return feed;
    },
    createLauncher() {
      if (config.launcher === 'ecs') {
        if (!aws.ecs) throw new Error('the ecs launcher needs the ECS configuration');
        return new EcsLauncher(clients.ecs, aws.ecs);
      }
      return createProcessLauncher(config, { baseEnv });
    },
    close() {
      closed ??= (async () => {
        await Promise.all([...feeds].map((feed) => feed.stop()));
        clients.destroy();
      })();
      return closed;
    },
  };
}

/** Each queue URL that carries one priority class only, with that class (a shared URL mixes them). */
function soleClassOfQueue(queueUrls: Record<Priority, string>): Map<string, Priority> {
  const classes = new Map<string, Priority[]>();
  for (const [priority, url] of Object.entries(queueUrls) as [Priority, string][])
    classes.set(url, [...(classes.get(url) ?? []), priority]);
  return new Map([...classes].filter(([, of]) => of.length === 1).map(([url, [priority]]) => [url, priority!]));
}
