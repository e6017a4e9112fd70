import type { WebhookAttemptOutcome, WebhookDelivery, WebhookSubjectKind } from '../domain/webhook-delivery.ts';

/**
 * The webhook outbox. Deliveries are created by the write that ends their subject (the job store
 * writes them in the same atomic write), so this port only reads them and records what happens to
 * them; every change is a conditional write on the delivery's version.
 */
export interface WebhookDeliveryStore {
  /** A subject's deliveries, in id order (the order of its targets). */
  listBySubject(kind: WebhookSubjectKind, subjectId: string): Promise<WebhookDelivery[]>;
  get(deliveryId: string): Promise<WebhookDelivery | null>;
  /**
   * Takes a PENDING delivery for one attempt: iff it is at `expectVersion`, sets its next try to
   * `leaseUntil` (so no other dispatcher takes it meanwhile, and a dispatcher that dies mid-attempt
   * leaves it due again then). Returns it as written; ConflictError when it changed, NotFoundError.
   */
  claim(deliveryId: string, expectVersion: number, leaseUntil: Date): Promise<WebhookDelivery>;
  /** Appends the attempt and sets the outcome, iff the delivery is at `expectVersion`. ConflictError otherwise. */
  recordAttempt(deliveryId: string, expectVersion: number, outcome: WebhookAttemptOutcome): Promise<WebhookDelivery>;
  /** PENDING deliveries whose next try is at or before `dueBy`, soonest first. */
  listDue(dueBy: Date, limit: number): Promise<WebhookDelivery[]>;
  /** Makes the delivery PENDING and due at `now`, whatever its status (a resend on request); keeps its attempts. */
  retryNow(deliveryId: string, now: Date): Promise<WebhookDelivery>;
}

/** SQS delays a message at most 15 minutes (DelaySeconds): longer waits are walked in steps. */
export const MAX_WEBHOOK_QUEUE_DELAY_SECONDS = 900;

/**
 * AWS: the queue that wakes dispatchers for due deliveries (the embedded dispatcher polls the
 * outbox instead). A message names a delivery; the outbox row stays the truth.
 */
export interface WebhookDeliveryQueue {
  /** Visible after `delaySeconds` (0 … 900, SQS's most). */
  send(deliveryId: string, delaySeconds: number): Promise<void>;
  /** Waits up to `waitSeconds` for messages; each is hidden from others for `visibilitySeconds`. */
  receive(max: number, waitSeconds: number, visibilitySeconds: number): Promise<{ deliveryId: string; receipt: string }[]>;
  delete(receipt: string): Promise<void>;
}
