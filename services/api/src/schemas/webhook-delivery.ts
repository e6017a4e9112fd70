import { z } from 'zod';
import { WEBHOOK_DELIVERY_STATUSES } from '@agent-runner/shared/domain/webhook-delivery.ts';

const timestamp = z.iso.datetime();

export const WebhookDeliveryAttemptViewSchema = z
  .object({
    number: z.int().min(1),
    started_at: timestamp,
    ended_at: timestamp,
    status_code: z
      .int()
      .nullable()
      .describe("The receiver's HTTP status; null when there was no answer (refused, timed out, unreachable)."),
    error: z.string().nullable().describe('Why the attempt did not deliver; null when it did.'),
  })
  .meta({ id: 'WebhookDeliveryAttempt' });

export const WebhookDeliveryViewSchema = z
  .object({
    delivery_id: z.string().describe('The `webhook-id` header of every send of this delivery (stable across retries).'),
    event: z.string().describe('`job.succeeded`, `job.failed`, `job.timed_out` or `job.cancelled`.'),
    url: z.string(),
    endpoint_id: z.string().nullable().describe("The tenant endpoint it goes to; null for the job's own webhook."),
    status: z
      .enum(WEBHOOK_DELIVERY_STATUSES)
      .describe(
        'PENDING: to be tried at `next_attempt_at`. DELIVERED: answered 2xx. FAILED: given up (24 h of retries, or the URL refused). DISABLED: answered 410 Gone, or its endpoint is disabled.',
      ),
    created_at: timestamp.describe('When the event happened (the job ended).'),
    next_attempt_at: timestamp.nullable(),
    delivered_at: timestamp.nullable(),
    last_status_code: z.int().nullable(),
    attempts: z.array(WebhookDeliveryAttemptViewSchema),
  })
  .meta({ id: 'WebhookDelivery' });

export type WebhookDeliveryView = z.output<typeof WebhookDeliveryViewSchema>;

export const WebhookDeliveryListSchema = z
  .object({
    deliveries: z.array(WebhookDeliveryViewSchema).describe("One per target that wanted the job's end event; empty until it ended."),
  })
  .meta({ id: 'WebhookDeliveryList' });

export type WebhookDeliveryList = z.output<typeof WebhookDeliveryListSchema>;
