import type { BlobStore, JobStore } from '../ports/job-store.ts';
import type { JobFeed, JobQueue } from '../ports/job-queue.ts';
import type { WorkerLauncher } from '../ports/worker-launcher.ts';
import type { PoolQueue } from '../ports/pool-queue.ts';
import type { SecretSource } from '../ports/secrets.ts';
import type { ConcurrencyLeases } from '../ports/concurrency-leases.ts';
import type { JobEventLog } from '../ports/job-events.ts';
import type { Priority } from '../domain/job.ts';
import type { ApiKeyStore } from '../ports/api-keys.ts';
import type { QueuedJobCount } from '../ports/queued-job-count.ts';
import type { TenantSettingsStore } from '../ports/tenant-settings.ts';
import type { TenantSpend } from '../ports/tenant-spend.ts';
import type { PipelineStore } from '../ports/pipeline-store.ts';
import type { WebhookDeliveryQueue, WebhookDeliveryStore } from '../ports/webhook-deliveries.ts';
import type { WebhookEndpointStore, WebhookSecretStore } from '../ports/webhook-endpoints.ts';

export interface FeedOptions {
  /**
   * How long a received message stays invisible to other consumers (SQS VisibilityTimeout). The
   * feed extends it every third while the handler still has the message, so only a dead
   * consumer's messages wait it out.
   */
  visibilityTimeoutSeconds: number;
  /** At most this many messages are received per poll (SQS allows 10). */
  batchSize: number;
  /** At most this many handlers run at once; the feed stops receiving while that many are busy. */
  maxInFlight: number;
  /**
   * How many more messages the handler can use now (the dispatcher: what free capacity can launch
   * soon). The feed does not receive while this is 0 or less and looks again shortly; a receive
   * under way may still bring up to a batch more. Default: no bound but maxInFlight. `priority`:
   * the class of the queue about to be polled (SQS: one queue per class), null when the source
   * mixes classes (the embedded table, the FIFO queue, a URL shared by several classes).
   */
  room?: (priority: Priority | null) => number;
}

/**
 * Everything that differs between the AWS and the embedded backend, built from the config at
 * start-up by `createBackend`. Services receive this and never import an SDK client.
 */
export interface Backend {
  readonly name: 'aws' | 'embedded';
  readonly jobs: JobStore;
  readonly queue: JobQueue;
  readonly blobs: BlobStore;
  readonly secrets: SecretSource;
  /** Concurrency-limit slots shared by every dispatcher and worker of this deployment. */
  readonly leases: ConcurrencyLeases;
  /** Each job's live output, for GET /jobs/{id}/events. */
  readonly events: JobEventLog;
  /** API keys, stored as hashes. */
  readonly apiKeys: ApiKeyStore;
  /** Per-tenant quota settings (`agent-runner tenants set`). */
  readonly tenants: TenantSettingsStore;
  /** Per-tenant recorded Claude spend per UTC day, for the daily budget. */
  readonly tenantSpend: TenantSpend;
  /** Per-tenant count of QUEUED jobs, for the max-queued quota. */
  readonly queuedJobs: QueuedJobCount;
  /** Pipeline records (job chains); their steps are ordinary jobs in `jobs`. */
  readonly pipelines: PipelineStore;
  /** The webhook outbox: deliveries owed by ended jobs (and pipelines), and their attempts. */
  readonly webhookDeliveries: WebhookDeliveryStore;
  /** AWS: wakes dispatchers for due deliveries. null (embedded): the dispatcher polls the outbox. */
  readonly webhookQueue: WebhookDeliveryQueue | null;
  /** AWS with a warm pool: the queue pool worker tasks take pooled attempts from. Absent or null: none. */
  readonly poolQueue?: PoolQueue | null;
  /** Per-tenant webhook signing secrets. */
  readonly webhookSecrets: WebhookSecretStore;
  /** Tenants' default webhook endpoints (`agent-runner webhooks add`); a 410 from a receiver disables one. */
  readonly webhookEndpoints: WebhookEndpointStore;
  createFeed(options: FeedOptions): JobFeed;
  /** The launcher the config names (`ecs` or `process`). */
  createLauncher(): WorkerLauncher;
  close(): Promise<void>;
}
