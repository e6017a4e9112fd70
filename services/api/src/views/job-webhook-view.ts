import type { Job } from '@agent-runner/shared/domain/job.ts';
import { isJobWebhookEvent } from '@agent-runner/shared/webhooks/job-webhook-targets.ts';
import type { JobView } from '../schemas/job-view.ts';
import type { WebhookEndpointView } from '../schemas/job-webhook.ts';
import type { WebhookEndpoint } from '@agent-runner/shared/ports/webhook-endpoints.ts';

/** The job's own webhook (the target that came from no tenant endpoint), or null. */
export function ownWebhookOf(job: Job): JobView['webhook'] {
  const own = job.webhooks.find((target) => target.endpointId === null);
  return own ? { url: own.url, events: own.events.filter(isJobWebhookEvent) } : null;
}

export function toWebhookEndpointView(endpoint: WebhookEndpoint): WebhookEndpointView {
  return {
    endpoint_id: endpoint.endpointId,
    tenant: endpoint.tenant,
    url: endpoint.url,
    events: [...endpoint.events],
    created_at: endpoint.createdAt,
    disabled_at: endpoint.disabledAt,
    disabled_reason: endpoint.disabledReason,
  };
}
