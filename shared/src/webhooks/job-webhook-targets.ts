import { JOB_WEBHOOK_EVENTS, PIPELINE_WEBHOOK_EVENTS, type JobWebhookEvent, type WebhookTarget } from '../domain/webhook-target.ts';
import type { WebhookEndpoint } from '../ports/webhook-endpoints.ts';

/** A job's own webhook, as submitted (`webhook` on POST /jobs). */
export interface JobWebhook {
  url: string;
  /** Default: every terminal job event. */
  events?: readonly JobWebhookEvent[] | undefined;
}

/**
 * Where a job reports its end: its own webhook (if any) first, then each of its tenant's endpoints
 * that is enabled and wants at least one job event, with only the job events it wants. Fixed at
 * submit time and stored on the job, so the write that ends the job needs nothing else; an endpoint
 * added or removed later concerns later jobs.
 */
export function jobWebhookTargets(own: JobWebhook | null, tenantEndpoints: readonly WebhookEndpoint[]): WebhookTarget[] {
  const targets: WebhookTarget[] = [];
  if (own !== null) targets.push({ url: own.url, events: uniqueJobEvents(own.events ?? JOB_WEBHOOK_EVENTS), endpointId: null });
  for (const endpoint of tenantEndpoints) {
    if (endpoint.disabledAt !== null) continue;
    const events = uniqueJobEvents(endpoint.events.filter(isJobWebhookEvent));
    if (events.length > 0) targets.push({ url: endpoint.url, events, endpointId: endpoint.endpointId });
  }
  return targets;
}

/**
 * Where a pipeline reports its end: its own `webhook` targets first, then each enabled tenant
 * endpoint that wants a pipeline event, with only the pipeline events it wants.
 */
export function pipelineWebhookTargets(own: readonly WebhookTarget[], tenantEndpoints: readonly WebhookEndpoint[]): WebhookTarget[] {
  const targets: WebhookTarget[] = [...own];
  for (const endpoint of tenantEndpoints) {
    if (endpoint.disabledAt !== null) continue;
    const events = PIPELINE_WEBHOOK_EVENTS.filter((event) => endpoint.events.includes(event));
    if (events.length > 0) targets.push({ url: endpoint.url, events, endpointId: endpoint.endpointId });
  }
  return targets;
}

export const isJobWebhookEvent = (event: string): event is JobWebhookEvent => (JOB_WEBHOOK_EVENTS as readonly string[]).includes(event);

/** In the catalogue's order, each once. */
function uniqueJobEvents(events: readonly JobWebhookEvent[]): JobWebhookEvent[] {
  return JOB_WEBHOOK_EVENTS.filter((event) => events.includes(event));
}
