import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { UnavailableError } from '../../domain/errors.ts';
import { MAX_WEBHOOK_QUEUE_DELAY_SECONDS, type WebhookDeliveryQueue } from '../../ports/webhook-deliveries.ts';

/** The webhook queue on SQS: a message `{ deliveryId }` per due (or soon due) delivery. */
export class SqsWebhookQueue implements WebhookDeliveryQueue {
  private readonly sqs: SQSClient;
  private readonly url: string;

  constructor(sqs: SQSClient, url: string) {
    this.sqs = sqs;
    this.url = url;
  }

  async send(deliveryId: string, delaySeconds: number): Promise<void> {
    const delay = Math.min(MAX_WEBHOOK_QUEUE_DELAY_SECONDS, Math.max(0, Math.ceil(delaySeconds)));
    try {
      await this.sqs.send(new SendMessageCommand({ QueueUrl: this.url, MessageBody: JSON.stringify({ deliveryId }), DelaySeconds: delay }));
    } catch (error) {
      throw new UnavailableError(`could not enqueue webhook delivery ${deliveryId}: ${(error as Error).message}`, { cause: error });
    }
  }

  async receive(max: number, waitSeconds: number, visibilitySeconds: number): Promise<{ deliveryId: string; receipt: string }[]> {
    const out = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.url,
        MaxNumberOfMessages: Math.min(10, Math.max(1, max)),
        WaitTimeSeconds: waitSeconds,
        VisibilityTimeout: visibilitySeconds,
      }),
    );
    return (out.Messages ?? []).flatMap((m) => {
      const deliveryId = parseDeliveryId(m.Body);
      // A body that names no delivery is left to the dead-letter queue.
      return deliveryId !== null && m.ReceiptHandle ? [{ deliveryId, receipt: m.ReceiptHandle }] : [];
    });
  }

  async delete(receipt: string): Promise<void> {
    await this.sqs.send(new DeleteMessageCommand({ QueueUrl: this.url, ReceiptHandle: receipt }));
  }
}

function parseDeliveryId(body: string | undefined): string | null {
  try {
    const parsed = JSON.parse(body ?? '') as unknown;
    if (typeof parsed === 'object' && parsed !== null && 'deliveryId' in parsed && typeof parsed.deliveryId === 'string') {
      return parsed.deliveryId;
    }
  } catch {
    // not one of ours
  }
  return null;
}
