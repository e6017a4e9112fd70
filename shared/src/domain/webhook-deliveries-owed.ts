import type { JobStatus } from './job-status.ts';
import type { WebhookDelivery, WebhookSubjectKind } from './webhook-delivery.ts';
import type { WebhookEvent, WebhookTarget } from './webhook-target.ts';

/** The event a job's move into a terminal status reports; null for any other status. */
export function jobEndEvent(status: JobStatus | undefined): WebhookEvent | null {
  switch (status) {
    case 'SUCCEEDED':
      return 'job.succeeded';
    case 'FAILED':
      return 'job.failed';
    case 'TIMED_OUT':
      return 'job.timed_out';
    case 'CANCELLED':
      return 'job.cancelled';
    default:
      return null;
  }
}

export interface WebhookSubject {
  kind: WebhookSubjectKind;
  id: string;
  tenant: string;
}

/**
 * The deliveries `subject` owes when `event` happens at `at`: one per target that wants the event,
 * PENDING and due at once. Ids are derived from the subject and the target's place, so writing the
 * same outbox twice (a retried write) cannot make two deliveries of one event.
 */
export function webhookDeliveriesOwed(
  subject: WebhookSubject,
  targets: readonly WebhookTarget[],
  event: WebhookEvent | null,
  at: Date,
): WebhookDelivery[] {
  if (event === null) return [];
  const when = at.toISOString();
  return targets.flatMap((target, index) =>
    target.events.includes(event)
      ? [
          {
            deliveryId: `msg_${subject.id}_${String(index + 1).padStart(3, '0')}`,
            subjectKind: subject.kind,
            subjectId: subject.id,
            tenant: subject.tenant,
            event,
            url: target.url,
            endpointId: target.endpointId,
            status: 'PENDING',
            createdAt: when,
            version: 1,
            attempts: [],
            nextAttemptAt: when,
            deliveredAt: null,
          },
        ]
      : [],
  );
}

/**
 * What a job's write owes: deliveries when it moves the job from a live status into a terminal
 * one, none otherwise (a write that keeps the status, or a job already ended).
 */
export function deliveriesOwedByJobWrite(
  job: { jobId: string; tenant: string; status: JobStatus; webhooks: readonly WebhookTarget[] },
  to: JobStatus | undefined,
  at: Date,
): WebhookDelivery[] {
  if (to === undefined || to === job.status || job.webhooks.length === 0) return [];
  return webhookDeliveriesOwed({ kind: 'job', id: job.jobId, tenant: job.tenant }, job.webhooks, jobEndEvent(to), at);
}
