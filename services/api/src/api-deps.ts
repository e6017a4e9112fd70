import type { Backend } from '@agent-runner/shared/compose/backend.ts';
import type { Config } from '@agent-runner/shared/config/config.ts';
import type { Clock, IdSource } from '@agent-runner/shared/domain/ids.ts';
import type { Logger } from '@agent-runner/shared/observability/logger.ts';
import type { AgentRunnerMetrics } from '@agent-runner/shared/observability/metrics.ts';
import type { QueueDepthSample } from '@agent-runner/shared/observability/queue-depth-sampler.ts';
import type { SubmissionQuotas } from './quotas/submission-quotas.ts';
import type { TenantWebhookEndpoints } from './quotas/tenant-webhook-endpoints.ts';
import type { ResolveHost } from '@agent-runner/shared/net/public-lookup.ts';

/** Everything the API needs, built once in main (or by a test). */
export interface ApiDeps {
  config: Config;
  backend: Backend;
  clock: Clock;
  newId: IdSource;
  log: Logger;
  /** Default: a fresh registry without process metrics (what a test wants). startApi passes its own. */
  metrics?: AgentRunnerMetrics;
  /** The queue-depth sampler's last reading, for GET /stats. Default: none yet (null). */
  queueDepth?: () => QueueDepthSample | null;
  /** Per-tenant submission quotas. Default: this app's own (its rate buckets live as long as it). */
  quotas?: SubmissionQuotas;
  /** Tenants' webhook endpoints as submissions read them (cached). Default: this app's own. */
  tenantEndpoints?: TenantWebhookEndpoints;
  /** How webhook hosts are resolved for the submit-time SSRF check. Default: the system resolver. */
  resolveHost?: ResolveHost;
}
