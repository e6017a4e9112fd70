import { z } from 'zod';
import { WebhookDeliveryListSchema, WebhookDeliveryViewSchema } from '../schemas/webhook-delivery.ts';
import type { RouteDoc } from './route-doc.ts';

const JSON_TYPE = 'application/json';
const jobId = { description: 'The job id (a ULID, 26 characters).', schema: z.string() };

/** GET /jobs/{id}/deliveries and the resend, as the OpenAPI document describes them. */
export const WEBHOOK_DELIVERY_ROUTES: readonly RouteDoc[] = [
  {
    method: 'get',
    path: '/jobs/{id}/deliveries',
    operationId: 'listJobDeliveries',
    summary: "The job's webhook deliveries: status, every attempt with its status code or error, and the next try.",
    tag: 'jobs',
    pathParams: { id: jobId },
    responses: {
      200: { description: 'The deliveries, in target order.', body: { mediaType: JSON_TYPE, schema: WebhookDeliveryListSchema } },
    },
    scope: 'read',
    problems: [404, 503],
  },
  {
    method: 'post',
    path: '/jobs/{id}/deliveries/{delivery_id}/retry',
    operationId: 'retryJobDelivery',
    summary: 'Resend a delivery now, whatever its status; its attempts so far are kept and its `webhook-id` stays the same.',
    tag: 'jobs',
    pathParams: { id: jobId, delivery_id: { description: 'The delivery id (`msg_…`).', schema: z.string() } },
    responses: {
      202: { description: 'Due now: a dispatcher sends it next.', body: { mediaType: JSON_TYPE, schema: WebhookDeliveryViewSchema } },
    },
    scope: 'submit',
    problems: [404, 503],
  },
];
