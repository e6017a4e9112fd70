import type { WebhookEvent } from './webhook-target.ts';

/** What a delivery reports on: a job's end or a pipeline's. */
export type WebhookSubjectKind = 'job' | 'pipeline';

/**
 * PENDING: to be (re)tried at `nextAttemptAt`. DELIVERED: a receiver answered 2xx. FAILED: given up
 * (24 h of retries passed, or the URL is refused: not https, or not a public address). DISABLED: the
 * receiver answered 410 Gone (its endpoint is disabled too), or its endpoint was disabled.
 */
export const WEBHOOK_DELIVERY_STATUSES = ['PENDING', 'DELIVERED', 'FAILED', 'DISABLED'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

/** One try at sending a delivery. */
export interface WebhookDeliveryAttempt {
  number: number;
  startedAt: string;
  endedAt: string;
  /** The receiver's HTTP status; null when there was no response (refused, timeout, network error). */
  statusCode: number | null;
  /** Why the attempt did not deliver; null when it did. */
  error: string | null;
}

/**
 * One event owed to one target, from the outbox written with the write that ended its subject.
 * `deliveryId` is the Standard Webhooks `webhook-id`: stable across retries, so a receiver can
 * drop a repeat.
 */
export interface WebhookDelivery {
  deliveryId: string;
  subjectKind: WebhookSubjectKind;
  subjectId: string;
  tenant: string;
  event: WebhookEvent;
  url: string;
  /** The tenant endpoint it goes to; null for a job's own webhook. */
  endpointId: string | null;
  status: WebhookDeliveryStatus;
  /** When the event happened (the subject's end): the payload's `timestamp`, and where the 24 h of retries start. */
  createdAt: string;
  /** Bumped by every write; writes condition on it. */
  version: number;
  attempts: WebhookDeliveryAttempt[];
  /** PENDING only: not to be tried before this. Also the claim's expiry while an attempt is under way. */
  nextAttemptAt: string | null;
  deliveredAt: string | null;
}

/** How an attempt ended, as recorded on the delivery. */
export interface WebhookAttemptOutcome {
  attempt: WebhookDeliveryAttempt;
  status: WebhookDeliveryStatus;
  /** PENDING: when to try again; else null. */
  nextAttemptAt: string | null;
  deliveredAt: string | null;
}
