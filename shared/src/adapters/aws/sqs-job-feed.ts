import { ChangeMessageVisibilityCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { Consumer } from 'sqs-consumer';
import type { FeedOptions } from '../../compose/backend.ts';
import { PRIORITIES, type JobMessage, type Priority } from '../../domain/job.ts';
import type { DeliveryHandler, JobFeed, JobFeedEvents } from '../../ports/job-queue.ts';

/** SQS long polling waits at most 20 s (ReceiveMessage WaitTimeSeconds). */
const LONG_POLL_SECONDS = 20;

/**
 * Consumes every job queue with `sqs-consumer`, one consumer per distinct queue URL — SQS returns at
 * most 10 messages per receive and the library handles a batch before polling again, so each queue
 * has at most `batchSize` messages in flight here (the scheduler's bound on held messages). A
 * message is deleted only when the handler says `ack`; `release` changes its visibility and leaves
 * it; a throwing handler leaves it until its visibility timeout ends, and after 5 receives the
 * queue's redrive policy moves it to the dead-letter queue.
 */
export class SqsJobFeed implements JobFeed {
  private readonly sqs: SQSClient;
  private readonly urls: string[];
  private readonly options: FeedOptions;
  private readonly consumers: Consumer[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly listeners: { [E in keyof JobFeedEvents]: Set<JobFeedEvents[E]> } = { malformed: new Set(), error: new Set() };

  constructor(sqs: SQSClient, urls: string[], options: FeedOptions) {
    if (options.batchSize < 1 || options.batchSize > 10) throw new Error(`batchSize must be 1–10 (SQS MaxNumberOfMessages), got ${options.batchSize}`);
    if (options.visibilityTimeoutSeconds < 1) throw new Error('visibilityTimeoutSeconds must be at least 1');
    this.sqs = sqs;
    this.urls = [...new Set(urls)];
    this.options = options;
  }

  start(handler: DeliveryHandler): void {
    if (this.consumers.length > 0) throw new Error('this feed was already started');
    for (const queueUrl of this.urls) {
      const consumer = Consumer.create({
        queueUrl,
        sqs: this.sqs,
        batchSize: this.options.batchSize,
        waitTimeSeconds: LONG_POLL_SECONDS,
        visibilityTimeout: this.options.visibilityTimeoutSeconds,
        // Keeps a held message hidden while the scheduler still has it (it hands it back before
        // AGENT_RUNNER_MAX_HOLD_SECONDS anyway); must be shorter than the visibility timeout.
        heartbeatInterval: Math.max(1, Math.floor(this.options.visibilityTimeoutSeconds / 3)),
        messageSystemAttributeNames: ['ApproximateReceiveCount'],
        terminateVisibilityTimeout: false,
        suppressFifoWarning: true,
        handleMessage: (message) => this.track(this.deliver(queueUrl, message, handler)),
      });
      consumer.on('error', (error) => this.emit('error', error));
      consumer.on('processing_error', (error) => this.emit('error', error));
      consumer.start();
      this.consumers.push(consumer);
    }
  }

  async stop(): Promise<void> {
    // `abort` cancels the long polls under way instead of waiting up to 20 s for them.
    for (const consumer of this.consumers) consumer.stop({ abort: true });
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  on<E extends keyof JobFeedEvents>(event: E, listener: JobFeedEvents[E]): void {
    (this.listeners[event] as Set<JobFeedEvents[E]>).add(listener);
  }

  private async deliver(queueUrl: string, message: Message, handler: DeliveryHandler): Promise<Message | undefined> {
    const raw = message.Body ?? '';
    let parsed: JobMessage;
    try {
      parsed = parseJobMessage(raw);
    } catch (error) {
      // Left in flight: after maxReceiveCount receives SQS moves it to the dead-letter queue.
      this.emit('malformed', raw, error as Error);
      return undefined;
    }
    const receiveCount = Number(message.Attributes?.ApproximateReceiveCount ?? 1);
    const outcome = await handler({ message: parsed, receiveCount });
    if (outcome.kind === 'ack') return message;
    await this.sqs.send(
      new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle!, VisibilityTimeout: outcome.delaySeconds }),
    );
    return undefined;
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    void work.then(
      () => this.inFlight.delete(work),
      () => this.inFlight.delete(work),
    );
    return work;
  }

  private emit<E extends keyof JobFeedEvents>(event: E, ...args: Parameters<JobFeedEvents[E]>): void {
    for (const listener of this.listeners[event]) (listener as (...a: Parameters<JobFeedEvents[E]>) => void)(...args);
  }
}

function parseJobMessage(raw: string): JobMessage {
  const value: unknown = JSON.parse(raw);
  if (typeof value !== 'object' || value === null) throw new Error('message body is not an object');
  const { jobId, priority, orderingKey } = value as Record<string, unknown>;
  if (typeof jobId !== 'string' || jobId.length === 0) throw new Error('message has no jobId');
  if (!PRIORITIES.includes(priority as Priority)) throw new Error(`message has an unknown priority ${String(priority)}`);
  if (orderingKey !== null && orderingKey !== undefined && typeof orderingKey !== 'string') throw new Error('orderingKey is not a string');
  return { jobId, priority: priority as Priority, orderingKey: (orderingKey as string | null | undefined) ?? null };
}
