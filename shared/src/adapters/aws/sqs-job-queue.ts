import { GetQueueAttributesCommand, SendMessageCommand, type QueueAttributeName, type SQSClient } from '@aws-sdk/client-sqs';
import { UnavailableError } from '../../domain/errors.ts';
import { PRIORITIES, type JobMessage } from '../../domain/job.ts';
import { MAX_QUEUE_DELAY_SECONDS } from '../../domain/retry-policy.ts';
import type { EnqueueOptions, JobQueue, QueueDepth } from '../../ports/job-queue.ts';

export interface SqsQueueUrls {
  /** One standard queue per priority class (several classes may share one URL). */
  byPriority: Record<(typeof PRIORITIES)[number], string>;
  /** The FIFO queue for jobs with an ordering key, if configured. */
  fifo: string | null;
}

/**
 * Sends job messages to SQS: the priority's queue, or the FIFO queue when the job has an ordering
 * key (MessageGroupId = key, so a group is delivered in order and locked while one is in flight).
 */
export class SqsJobQueue implements JobQueue {
  private readonly sqs: SQSClient;
  private readonly urls: SqsQueueUrls;

  constructor(sqs: SQSClient, urls: SqsQueueUrls) {
    this.sqs = sqs;
    this.urls = urls;
  }

  async enqueue(message: JobMessage, options: EnqueueOptions = {}): Promise<void> {
    const body = JSON.stringify({ jobId: message.jobId, priority: message.priority, orderingKey: message.orderingKey });
    const ordered = message.orderingKey !== null && this.urls.fifo !== null;
    const delay = Math.min(MAX_QUEUE_DELAY_SECONDS, Math.max(0, Math.round(options.delaySeconds ?? 0)));
    try {
      await this.sqs.send(
        new SendMessageCommand(
          ordered
            ? {
                QueueUrl: this.urls.fifo!,
                MessageBody: body,
                MessageGroupId: message.orderingKey!,
                // FIFO queues drop a second message with the same id within 5 minutes; a retry
                // passes `<job>:<attempt>` so it is not mistaken for a duplicate.
                MessageDeduplicationId: (options.deduplicationId ?? message.jobId).slice(0, 128),
                // FIFO queues refuse per-message DelaySeconds.
              }
            : { QueueUrl: this.urls.byPriority[message.priority], MessageBody: body, DelaySeconds: delay },
        ),
      );
    } catch (error) {
      throw new UnavailableError(`could not enqueue job ${message.jobId}: ${(error as Error).message}`, { cause: error });
    }
  }

  async depth(): Promise<QueueDepth> {
    const depth = Object.fromEntries(PRIORITIES.map((p) => [p, { waiting: 0, inFlight: 0 }])) as QueueDepth;
    const counted = new Set<string>();
    for (const priority of PRIORITIES) {
      const url = this.urls.byPriority[priority];
      if (counted.has(url)) continue; // a queue shared by several classes is counted once, under the first
      counted.add(url);
      const { waiting, inFlight } = await this.attributes(url);
      depth[priority] = { waiting, inFlight };
    }
    if (this.urls.fifo) {
      // Ordered jobs are shown under `normal`: the FIFO queue has no priority classes.
      const { waiting, inFlight } = await this.attributes(this.urls.fifo);
      depth.normal = { waiting: depth.normal.waiting + waiting, inFlight: depth.normal.inFlight + inFlight };
    }
    return depth;
  }

  private async attributes(url: string): Promise<{ waiting: number; inFlight: number }> {
    try {
      const out = await this.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesDelayed', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      const n = (name: QueueAttributeName) => Number(out.Attributes?.[name] ?? 0);
      return {
        waiting: n('ApproximateNumberOfMessages') + n('ApproximateNumberOfMessagesDelayed'),
        inFlight: n('ApproximateNumberOfMessagesNotVisible'),
      };
    } catch (error) {
      throw new UnavailableError(`could not read the depth of ${url}: ${(error as Error).message}`, { cause: error });
    }
  }
}
