import type { Clock } from '@agent-runner/shared/domain/ids.ts';
import type { WebhookEndpoint, WebhookEndpointStore } from '@agent-runner/shared/ports/webhook-endpoints.ts';
import { TtlCache } from '@agent-runner/shared/runtime/ttl-cache.ts';

/**
 * A tenant's webhook endpoints as submissions see them: every POST /jobs (and /pipelines) adds the
 * tenant's enabled endpoints to the job's targets, and reading them each time cost one store read
 * (a DynamoDB Query) per job, endpoints or not. They are kept for AGENT_RUNNER_TENANT_CACHE_SECONDS
 * like the tenant's settings, so a busy tenant costs one read per instance per interval. An
 * endpoint added or removed through this API instance counts for its next job at once; one changed
 * elsewhere (the CLI, another instance, a receiver's 410 disabling it) within that interval — a
 * disabled endpoint still gets no deliveries, as the dispatcher checks it before sending.
 */
export class TenantWebhookEndpoints {
  private readonly store: WebhookEndpointStore;
  private readonly cache: TtlCache<WebhookEndpoint[]>;

  constructor(store: WebhookEndpointStore, cacheSeconds: number, clock: Clock) {
    this.store = store;
    this.cache = new TtlCache(cacheSeconds * 1000, clock);
  }

  /** The tenant's endpoints, disabled ones included (the store's `list`), at most the interval old. */
  list(tenant: string): Promise<WebhookEndpoint[]> {
    return this.cache.get(tenant, () => this.store.list(tenant));
  }

  /** This instance changed the tenant's endpoints: its next submission reads them again. */
  changed(tenant: string): void {
    this.cache.forget(tenant);
  }
}
