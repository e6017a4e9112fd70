import { ChangeMessageVisibilityCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { Consumer } from 'sqs-consumer';
import type { FeedOptions } from '../../compose/backend.ts';
import { PRIORITIES, type JobMessage, type Priority } from '../../domain/job.ts';
import type { DeliveryHandler, JobFeed, JobFeedEvents } from '../../ports/job-queue.ts';

/** While the handler has no room for more messages, look again this often before polling. */
const ROOM_RECHECK_MS = 100;
/** The error name a poll that was held back by a stopping feed ends with (not a failure). */
const STOPPING = 'FeedStopping';

export interface SqsFeedTuning {
  /** Long-poll wait, 1–20 s (ReceiveMessage WaitTimeSeconds). `stop()` waits for the polls under way. */
  waitTimeSeconds: number;
  /** The FIFO queue's URL: its messages of one group are handled one after another. */
  fifoUrl: string | null;
  /** The priority class of each URL that carries only one (asked about in `room`). */
  priorityOf?: ReadonlyMap<string, Priority>;
}

/**
 * Consumes every job queue with `sqs-consumer`, enough consumers per distinct queue URL to keep
 * maxInFlight messages moving — SQS returns at most 10 messages per receive and the library handles
 * a batch before polling again — and never more than maxInFlight handlers at once in all (the
 * scheduler's bound on held messages); no consumer polls while the handler has no `room` (a poll
 * under way may still bring its batch). A
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
  private readonly slots: Semaphore;
  private readonly listeners: { [E in keyof JobFeedEvents]: Set<JobFeedEvents[E]> } = { malformed: new Set(), error: new Set() };

  private readonly tuning: SqsFeedTuning;
  private stopping: Promise<void> | null = null;
  private stopRequested = false;
  /** Per FIFO message group: the outcome of its last message handed out in a batch. */
  private readonly groupTails = new Map<string, Promise<'ack' | 'release'>>();

  constructor(sqs: SQSClient, urls: string[], options: FeedOptions, tuning: SqsFeedTuning = { waitTimeSeconds: 20, fifoUrl: null }) {
    if (options.batchSize < 1 || options.batchSize > 10)
      throw new Error(`batchSize must be 1–10 (SQS MaxNumberOfMessages), got ${options.batchSize}`);
    if (options.visibilityTimeoutSeconds < 1) throw new Error('visibilityTimeoutSeconds must be at least 1');
    this.sqs = sqs;
    this.urls = [...new Set(urls)];
    this.options = options;
    this.slots = new Semaphore(options.maxInFlight);
    this.tuning = tuning;
  }

  start(handler: DeliveryHandler): void {
    if (this.consumers.length > 0) throw new Error('this feed was already started');
    // Keeps a held message hidden while its handler still has it; sqs-consumer wants it strictly
    // shorter than the visibility timeout, so very short timeouts (tests) go without.
    const heartbeat = Math.floor(this.options.visibilityTimeoutSeconds / 3);
    // sqs-consumer handles a whole receive batch before it polls again, so one consumer moves at
    // most `batchSize` messages of a queue at a time; several per queue keep launches flowing while
    // some messages wait for capacity (measured: one consumer drained a backlog at 7 launches/s).
    const perQueue = Math.max(1, Math.ceil(this.options.maxInFlight / (this.options.batchSize * this.urls.length)));
    for (const queueUrl of this.urls.flatMap((url) => Array.from({ length: perQueue }, () => url))) {
      const consumer = Consumer.create({
        queueUrl,
        sqs: this.sqs,
        batchSize: this.options.batchSize,
        waitTimeSeconds: this.tuning.waitTimeSeconds,
        // `stop()` then waits for the last poll (and its messages) instead of emitting `stopped` at once.
        pollingCompleteWaitTimeMs: (this.tuning.waitTimeSeconds + 5) * 1000,
        visibilityTimeout: this.options.visibilityTimeoutSeconds,
        ...(heartbeat > 0 ? { heartbeatInterval: heartbeat } : {}),
        messageSystemAttributeNames: ['ApproximateReceiveCount', 'MessageGroupId'],
        preReceiveMessageCallback: () => this.untilRoom(this.tuning.priorityOf?.get(queueUrl) ?? null),
        terminateVisibilityTimeout: false,
        suppressFifoWarning: true,
        // sqs-consumer 14 deletes a message only when handleMessage returns it (same MessageId);
        // `undefined` leaves it, a throw leaves it and emits processing_error. alwaysAcknowledge
        // would delete everything, released messages included. (`strictReturn` only makes a `null`
        // return throw; `deliver` never returns null.)
        alwaysAcknowledge: false,
        handleMessage: (message) => this.track(this.deliver(queueUrl, message, handler)),
      });
      consumer.on('error', (error) => {
        // The visibility heartbeat can fire just after a handler settled its message (deleted or
        // released it); SQS then calls the receipt handle invalid. Nothing is wrong.
        const code = (error as { code?: string }).code;
        if (code === 'ReceiptHandleIsInvalid' || code === STOPPING) return;
        this.emit('error', error);
      });
      consumer.on('processing_error', (error) => this.emit('error', error));
      consumer.start();
      this.consumers.push(consumer);
    }
  }

  /** Idempotent: every caller waits for the same drain. */
  stop(): Promise<void> {
    this.stopping ??= this.drain();
    return this.stopping;
  }

  private async drain(): Promise<void> {
    // Not `abort`: SQS (and moto) keep serving an aborted long poll, and a message it takes would
    // stay hidden until its visibility timeout. Waiting for the polls costs at most waitTimeSeconds.
    this.stopRequested = true;
    const idle = this.consumers.map((consumer) => new Promise<void>((resolve) => consumer.once('stopped', () => resolve())));
    for (const consumer of this.consumers) consumer.stop();
    await Promise.all(idle);
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  on<E extends keyof JobFeedEvents>(event: E, listener: JobFeedEvents[E]): void {
    (this.listeners[event] as Set<JobFeedEvents[E]>).add(listener);
  }

  /** Holds a poll back while the handler has no room; a stop ends the wait without polling. */
  private async untilRoom(priority: Priority | null): Promise<void> {
    const room = this.options.room;
    if (!room) return;
    while (room(priority) <= 0) {
      if (this.stopRequested) break;
      await new Promise((resolve) => setTimeout(resolve, ROOM_RECHECK_MS));
    }
    if (this.stopRequested) throw Object.assign(new Error('the feed is stopping'), { name: STOPPING });
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
    const group = queueUrl === this.tuning.fifoUrl ? message.Attributes?.MessageGroupId : undefined;
    const handle = async (): Promise<'ack' | 'release'> => {
      const outcome = await this.slots.run(() => handler({ message: parsed, receiveCount }));
      if (outcome.kind === 'ack') return 'ack';
      await this.release(queueUrl, message, outcome.delaySeconds);
      return 'release';
    };
    if (!group) return (await handle()) === 'ack' ? message : undefined;

    // SQS FIFO may return several messages of one group in one batch; they must still be handled
    // one after another, and none may overtake an earlier one that went back to the queue.
    const previous = this.groupTails.get(group) ?? Promise.resolve<'ack' | 'release'>('ack');
    const mine = previous.then(
      async (before) => {
        if (before === 'ack') return handle();
        await this.release(queueUrl, message, 0);
        return 'release' as const;
      },
      async () => {
        await this.release(queueUrl, message, 0);
        return 'release' as const;
      },
    );
    this.groupTails.set(group, mine);
    void mine
      .finally(() => {
        if (this.groupTails.get(group) === mine) this.groupTails.delete(group);
      })
      .catch(() => {});
    return (await mine) === 'ack' ? message : undefined;
  }

  private async release(queueUrl: string, message: Message, delaySeconds: number): Promise<void> {
    await this.sqs.send(
      new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle!, VisibilityTimeout: delaySeconds }),
    );
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

/** At most `size` handlers run at once across all queues; the rest wait their turn in order. */
class Semaphore {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  constructor(size: number) {
    this.free = size;
  }
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}
