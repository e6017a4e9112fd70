import type { WebhookEndpointView } from '../schemas/job-webhook.ts';
import type { WebhookEndpoint } from '@agent-runner/shared/ports/webhook-endpoints.ts';

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
