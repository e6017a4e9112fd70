import type { WebhookDelivery } from '@agent-runner/shared/domain/webhook-delivery.ts';
import type { Logger } from '@agent-runner/shared/observability/logger.ts';
import { MAX_WEBHOOK_QUEUE_DELAY_SECONDS, type WebhookDeliveryQueue } from '@agent-runner/shared/ports/webhook-deliveries.ts';
import { attemptWebhookDelivery, WEBHOOK_CLAIM_SECONDS, type WebhookDeliveryDeps } from './deliver-webhook.ts';
import { every } from './every.ts';

/** The embedded dispatcher looks for due deliveries this often. */
const POLL_INTERVAL_MS = 500;
/** Deliveries taken per poll or sweep; each is one HTTP request of at most 10 s, run side by side. */
const BATCH = 20;
/**
 * AWS: a PENDING delivery this far past its next try has lost its queue message (the process that
 * ended its job died before sending it, or a send failed): the sweep sends it. Longer than a claim,
 * so a delivery in someone's hands is not taken from them.
 */
const SWEEP_GRACE_SECONDS = WEBHOOK_CLAIM_SECONDS + 15;
/**
 * How long a received message stays hidden: longer than a claim, so when a dispatcher died
 * mid-attempt the message comes back just after the claim it left has expired.
 */
const VISIBILITY_SECONDS = WEBHOOK_CLAIM_SECONDS + 5;

export interface WebhookLoopOptions {
  /** AWS: the webhook queue. null: poll the outbox (embedded). */
  queue: WebhookDeliveryQueue | null;
  /** Long-poll wait per receive (AWS). */
  waitSeconds: number;
  sweepIntervalMs: number;
  log: Logger;
}

/**
 * Runs webhook deliveries until stopped. Embedded: every half second, the due PENDING deliveries
 * from the outbox. AWS: messages from the webhook queue, each deleted only once the attempt it woke
 * is recorded (and its retry, if any, re-enqueued: SQS delays at most 15 minutes, so a longer wait
 * is walked in steps); and a sweep for PENDING deliveries whose message was lost.
 */
export function startWebhookDeliveryLoop(deps: WebhookDeliveryDeps, options: WebhookLoopOptions): { stop(): Promise<void> } {
  const { queue, log } = options;
  const onError = (error: unknown) => log.error({ err: error }, 'webhook delivery failed');
  const attemptAll = async (due: WebhookDelivery[]) => {
    await Promise.all(
      due.map(async (delivery) => {
        try {
          const after = await attemptWebhookDelivery(deps, delivery);
          if (queue && after?.status === 'PENDING') await announce(queue, after, deps.clock.now());
        } catch (error) {
          onError(error);
        }
      }),
    );
  };

  if (queue === null) {
    const poller = every(POLL_INTERVAL_MS, async () => attemptAll(await deps.deliveries.listDue(deps.clock.now(), BATCH)), onError, {
      atStart: true,
    });
    return poller;
  }

  const sweeper = every(
    options.sweepIntervalMs,
    async () => {
      const dueBy = new Date(deps.clock.now().getTime() - SWEEP_GRACE_SECONDS * 1000);
      await attemptAll(await deps.deliveries.listDue(dueBy, BATCH));
    },
    onError,
    { atStart: true },
  );
  let stopped = false;
  const receiving = (async () => {
    while (!stopped) {
      try {
        const messages = await queue.receive(10, options.waitSeconds, VISIBILITY_SECONDS);
        await Promise.all(messages.map((m) => handleMessage(deps, queue, m).catch(onError)));
      } catch (error) {
        onError(error);
        if (!stopped) await new Promise((r) => setTimeout(r, 1000));
      }
    }
  })();
  return {
    async stop() {
      stopped = true;
      await Promise.all([sweeper.stop(), receiving]);
    },
  };
}

/**
 * One message: attempt the delivery it names when due; when it is not due yet (a retry more than
 * 15 minutes out, or a claim that has not expired), send a message for later instead. The message
 * is deleted last: a dispatcher that dies before leaves it to come back.
 */
async function handleMessage(
  deps: WebhookDeliveryDeps,
  queue: WebhookDeliveryQueue,
  message: { deliveryId: string; receipt: string },
): Promise<void> {
  const delivery = await deps.deliveries.get(message.deliveryId);
  if (delivery?.status === 'PENDING') {
    const after = await attemptWebhookDelivery(deps, delivery);
    if (after?.status === 'PENDING') await announce(queue, after, deps.clock.now());
  }
  await queue.delete(message.receipt);
}

async function announce(queue: WebhookDeliveryQueue, delivery: WebhookDelivery, now: Date): Promise<void> {
  const waitSeconds = Math.max(0, (Date.parse(delivery.nextAttemptAt ?? now.toISOString()) - now.getTime()) / 1000);
  await queue.send(delivery.deliveryId, Math.min(MAX_WEBHOOK_QUEUE_DELAY_SECONDS, waitSeconds));
}
