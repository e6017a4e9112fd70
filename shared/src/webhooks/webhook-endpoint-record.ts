import { randomBytes } from 'node:crypto';
import { JOB_WEBHOOK_EVENTS, type WebhookEvent } from '../domain/webhook-target.ts';
import type { WebhookEndpoint } from '../ports/webhook-endpoints.ts';

/** `we_` and 16 random hex characters: unguessable enough that an id alone reveals nothing. */
export const WEBHOOK_ENDPOINT_ID = /^we_[0-9a-f]{16}$/;

/** A new, enabled endpoint for `tenant`; `events` default to every terminal job event. */
export function newWebhookEndpoint(
  tenant: string,
  url: string,
  events: readonly WebhookEvent[] | undefined,
  now: Date,
  newId: () => string = () => `we_${randomBytes(8).toString('hex')}`,
): WebhookEndpoint {
  return {
    endpointId: newId(),
    tenant,
    url,
    events: events !== undefined && events.length > 0 ? [...new Set(events)] : [...JOB_WEBHOOK_EVENTS],
    createdAt: now.toISOString(),
    disabledAt: null,
    disabledReason: null,
  };
}
