import { z } from 'zod';
import { AddWebhookEndpointRequestSchema, WebhookEndpointListSchema, WebhookEndpointViewSchema } from '../schemas/job-webhook.ts';
import type { ParamDoc, RouteDoc } from './route-doc.ts';

const JSON_TYPE = 'application/json';

const tenant: ParamDoc = { description: 'The tenant (1–128 printable ASCII characters, no spaces).', schema: z.string() };

/** A tenant's default webhook endpoints: admin routes (see README, Webhooks). */
export const WEBHOOK_ENDPOINT_ROUTES: readonly RouteDoc[] = [
  {
    method: 'get',
    path: '/tenants/{tenant}/webhooks',
    operationId: 'listTenantWebhooks',
    summary: "A tenant's default webhook endpoints, oldest first, disabled ones included.",
    tag: 'webhooks',
    pathParams: { tenant },
    responses: { 200: { description: 'The endpoints.', body: { mediaType: JSON_TYPE, schema: WebhookEndpointListSchema } } },
    scope: 'admin',
    problems: [400, 503],
  },
  {
    method: 'post',
    path: '/tenants/{tenant}/webhooks',
    operationId: 'addTenantWebhook',
    summary: 'Add a default webhook endpoint: every job the tenant submits from now on also reports to it.',
    description:
      'The URL is checked as a job’s `webhook.url` is: https (http only with AGENT_RUNNER_WEBHOOK_ALLOW_HTTP=true), no ' +
      'credentials, and a host that resolves to public addresses only (unless AGENT_RUNNER_WEBHOOK_ALLOW_PRIVATE=true).',
    tag: 'webhooks',
    pathParams: { tenant },
    body: { mediaType: JSON_TYPE, schema: AddWebhookEndpointRequestSchema },
    responses: {
      201: {
        description: 'Added.',
        body: { mediaType: JSON_TYPE, schema: WebhookEndpointViewSchema },
        headers: { Location: { description: "The endpoint's URL path.", schema: z.string() } },
      },
    },
    scope: 'admin',
    problems: [400, 413, 415, 503],
  },
  {
    method: 'delete',
    path: '/tenants/{tenant}/webhooks/{id}',
    operationId: 'removeTenantWebhook',
    summary: 'Remove a default webhook endpoint; jobs submitted before keep reporting to it.',
    tag: 'webhooks',
    pathParams: { tenant, id: { description: 'The endpoint id (`we_` and 16 hex characters).', schema: z.string() } },
    responses: { 204: { description: 'Removed.' } },
    scope: 'admin',
    problems: [400, 404, 503],
  },
];
