/**
 * Where a job (or pipeline) reports its end. A job carries its targets from submission on (its own
 * `webhook` plus its tenant's default endpoints at that moment), so the write that ends it can
 * record the deliveries it owes without reading anything else.
 */
export const JOB_WEBHOOK_EVENTS = ['job.succeeded', 'job.failed', 'job.timed_out', 'job.cancelled'] as const;
export type JobWebhookEvent = (typeof JOB_WEBHOOK_EVENTS)[number];

export const PIPELINE_WEBHOOK_EVENTS = ['pipeline.succeeded', 'pipeline.failed'] as const;
export type PipelineWebhookEvent = (typeof PIPELINE_WEBHOOK_EVENTS)[number];

export type WebhookEvent = JobWebhookEvent | PipelineWebhookEvent;

export interface WebhookTarget {
  url: string;
  /** The events this target wants; never empty. */
  events: readonly WebhookEvent[];
  /** The tenant endpoint this target came from; null for a job's own `webhook`. */
  endpointId: string | null;
}
