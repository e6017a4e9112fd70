import { join } from 'node:path';
import type { Backend, FeedOptions } from '../../compose/backend.ts';
import type { Config } from '../../config/config.ts';
import { createLocalLauncher } from '../process/local-launcher.ts';
import { FileBlobStore } from './file-blob-store.ts';
import { SqliteApiKeyStore } from './sqlite-api-keys.ts';
import { SqliteWebhookEndpointStore } from './sqlite-webhook-endpoints.ts';
import { SqliteConcurrencyLeases } from './sqlite-concurrency-leases.ts';
import { openSqliteDatabase } from './sqlite-database.ts';
import { SqliteJobEventLog } from './sqlite-job-event-log.ts';
import { SqliteJobFeed } from './sqlite-job-feed.ts';
import { SqliteJobQueue } from './sqlite-job-queue.ts';
import { SqliteJobStore } from './sqlite-job-store.ts';
import { SqlitePipelineStore } from './sqlite-pipeline-store.ts';
import { SqliteQueuedJobCount } from './sqlite-queued-job-count.ts';
import { SqliteTenantSettings } from './sqlite-tenant-settings.ts';
import { SqliteTenantSpend } from './sqlite-tenant-spend.ts';
import { secretsFromConfig } from './static-secret-source.ts';
import { SqliteWebhookDeliveries } from './sqlite-webhook-deliveries.ts';
import { SqliteWebhookSecrets } from './sqlite-webhook-secrets.ts';

/**
 * The default backend: everything in `<dataDir>` on this machine. One SQLite file (jobs, queue,
 * leases, events, tenants) shared by the API/dispatcher process and each worker process, blobs as files,
 * workers as child processes.
 */
export async function createEmbeddedBackend(config: Config): Promise<Backend> {
  const db = openSqliteDatabase(config.dataDir);
  const queue = new SqliteJobQueue(db);
  const feeds = new Set<SqliteJobFeed>();
  // What a worker needs of this process's own environment to find its tools; everything else it
  // gets from the config. Captured once, here, so nothing reads process.env later.
  const baseEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
  let closed: Promise<void> | null = null;

  return {
    name: 'embedded',
    jobs: new SqliteJobStore(db),
    queue,
    blobs: new FileBlobStore(join(config.dataDir, 'blobs')),
    secrets: secretsFromConfig(config),
    leases: new SqliteConcurrencyLeases(db),
    events: new SqliteJobEventLog(db, config.events.retentionSeconds),
    apiKeys: new SqliteApiKeyStore(db),
    tenants: new SqliteTenantSettings(db),
    tenantSpend: new SqliteTenantSpend(db),
    queuedJobs: new SqliteQueuedJobCount(db),
    pipelines: new SqlitePipelineStore(db),
    webhookEndpoints: new SqliteWebhookEndpointStore(db),
    webhookDeliveries: new SqliteWebhookDeliveries(db),
    webhookQueue: null,
    webhookSecrets: new SqliteWebhookSecrets(db),
    createFeed(options: FeedOptions) {
      const feed = new SqliteJobFeed(queue, options);
      feeds.add(feed);
      return feed;
    },
    createLauncher() {
      return createLocalLauncher(config, baseEnv);
    },
    close() {
      closed ??= (async () => {
        await Promise.all([...feeds].map((feed) => feed.stop()));
        db.close();
      })();
      return closed;
    },
  };
}
