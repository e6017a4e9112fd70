import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { RetryableError } from '../../domain/errors.ts';
import type { PoolHandOff, PoolQueue, ReceivedHandOff } from '../../ports/pool-queue.ts';

/** The pool queue on SQS: one message `{ jobId, attempt }` per pooled attempt handed to the pool. */
export class SqsPoolQueue implements PoolQueue {
  readonly name: string;
  private readonly sqs: SQSClient;
  private readonly url: string;

  constructor(sqs: SQSClient, url: string) {
    this.sqs = sqs;
    this.url = url;
    // https://sqs.<region>.amazonaws.com/<account>/<name>: the last path segment.
    this.name = url.split('/').pop() || url;
  }

  async send(handOff: PoolHandOff): Promise<void> {
    try {
      await this.sqs.send(new SendMessageCommand({ QueueUrl: this.url, MessageBody: JSON.stringify(handOff) }));
    } catch (error) {
      // Not handed over: the launch fails as retryable and the attempt is not recorded as launched.
      throw new RetryableError(`could not hand ${handOff.jobId} to the pool queue ${this.name}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  async receive(waitSeconds: number, visibilitySeconds: number, signal?: AbortSignal): Promise<ReceivedHandOff | null> {
    const out = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.url,
        MaxNumberOfMessages: 1,
        WaitTimeSeconds: waitSeconds,
        VisibilityTimeout: visibilitySeconds,
      }),
      signal ? { abortSignal: signal } : {},
    );
    const message = out.Messages?.[0];
    if (!message?.ReceiptHandle) return null;
    const handOff = parseHandOff(message.Body);
    // A body that names no attempt is not ours: left to come back until the dead-letter queue takes it.
    return handOff ? { ...handOff, receipt: message.ReceiptHandle } : null;
  }

  async extend(receipt: string, visibilitySeconds: number): Promise<void> {
    await this.sqs.send(
      new ChangeMessageVisibilityCommand({ QueueUrl: this.url, ReceiptHandle: receipt, VisibilityTimeout: visibilitySeconds }),
    );
  }

  async delete(receipt: string): Promise<void> {
    await this.sqs.send(new DeleteMessageCommand({ QueueUrl: this.url, ReceiptHandle: receipt }));
  }
}

export function parseHandOff(body: string | undefined): PoolHandOff | null {
  try {
    const parsed = JSON.parse(body ?? '') as { jobId?: unknown; attempt?: unknown; heartbeatSeconds?: unknown };
    if (
      typeof parsed.jobId === 'string' &&
      parsed.jobId.length > 0 &&
      Number.isInteger(parsed.attempt) &&
      (parsed.attempt as number) >= 1
    ) {
      const beat = parsed.heartbeatSeconds;
      const heartbeatSeconds = Number.isInteger(beat) && (beat as number) >= 1 && (beat as number) <= 3600 ? (beat as number) : undefined;
      return { jobId: parsed.jobId, attempt: parsed.attempt as number, ...(heartbeatSeconds ? { heartbeatSeconds } : {}) };
    }
  } catch {
    // not JSON
  }
  return null;
}
