import { z } from 'zod';
import { JOB_WEBHOOK_EVENTS, PIPELINE_WEBHOOK_EVENTS } from '@agent-runner/shared/domain/webhook-target.ts';
import { MAX_WEBHOOK_URL_LENGTH } from '@agent-runner/shared/webhooks/webhook-url.ts';

const events = z
  .array(z.enum(JOB_WEBHOOK_EVENTS))
  .min(1)
  .max(16)
  .describe(`Which job events to report. Default: every terminal one (${JOB_WEBHOOK_EVENTS.join(', ')}).`);

/** A tenant endpoint may also ask for pipeline events. */
const ALL_EVENTS = [...JOB_WEBHOOK_EVENTS, ...PIPELINE_WEBHOOK_EVENTS] as const;
const endpointEvents = z
  .array(z.enum(ALL_EVENTS))
  .min(1)
  .max(16)
  .describe(`Which events to report. Default: every terminal job event (${JOB_WEBHOOK_EVENTS.join(', ')}).`);

/** `webhook` on POST /jobs: where the job reports its end, besides its tenant's default endpoints. */
export const JobWebhookRequestSchema = z
  .strictObject({
    url: z
      .string()
      .min(1)
      .max(MAX_WEBHOOK_URL_LENGTH)
      .describe(
        'An https URL (http only with AGENT_RUNNER_WEBHOOK_ALLOW_HTTP=true), without credentials, whose host resolves to public addresses only (unless AGENT_RUNNER_WEBHOOK_ALLOW_PRIVATE=true).',
      ),
    events: events.optional(),
  })
  .meta({ id: 'JobWebhookRequest' });

/** The job's own webhook as the job view shows it back; a tenant's endpoints are not listed on jobs. */
export const JobWebhookViewSchema = z.object({ url: z.string(), events: z.array(z.enum(JOB_WEBHOOK_EVENTS)) }).meta({ id: 'JobWebhook' });

/** A tenant's default endpoint, as the admin routes show it. Never a secret. */
export const WebhookEndpointViewSchema = z
  .object({
    endpoint_id: z.string(),
    tenant: z.string(),
    url: z.string(),
    events: z.array(z.enum(ALL_EVENTS)),
    created_at: z.iso.datetime(),
    disabled_at: z.iso.datetime().nullable().describe('Set when a receiver answered 410 Gone: nothing is sent to it after.'),
    disabled_reason: z.string().nullable(),
  })
  .meta({ id: 'WebhookEndpoint' });

export const WebhookEndpointListSchema = z
  .object({ endpoints: z.array(WebhookEndpointViewSchema).describe('Oldest first, disabled ones included.') })
  .meta({ id: 'WebhookEndpointList' });

/** The body of POST /tenants/{tenant}/webhooks. */
export const AddWebhookEndpointRequestSchema = z
  .strictObject({
    url: z.string().min(1).max(MAX_WEBHOOK_URL_LENGTH).describe('Checked as a job’s `webhook.url` is.'),
    events: endpointEvents.optional(),
  })
  .meta({ id: 'AddWebhookEndpointRequest' });

export type WebhookEndpointView = z.output<typeof WebhookEndpointViewSchema>;
