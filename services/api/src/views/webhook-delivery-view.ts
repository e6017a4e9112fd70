import type { WebhookDelivery } from '@agent-runner/shared/domain/webhook-delivery.ts';
import type { WebhookDeliveryView } from '../schemas/webhook-delivery.ts';

export function toWebhookDeliveryView(delivery: WebhookDelivery): WebhookDeliveryView {
  return {
    delivery_id: delivery.deliveryId,
    event: delivery.event,
    url: delivery.url,
    endpoint_id: delivery.endpointId,
    status: delivery.status,
    created_at: delivery.createdAt,
    next_attempt_at: delivery.status === 'PENDING' ? delivery.nextAttemptAt : null,
    delivered_at: delivery.deliveredAt,
    last_status_code: delivery.attempts.at(-1)?.statusCode ?? null,
    attempts: delivery.attempts.map((a) => ({
      number: a.number,
      started_at: a.startedAt,
      ended_at: a.endedAt,
      status_code: a.statusCode,
      error: a.error,
    })),
  };
}
