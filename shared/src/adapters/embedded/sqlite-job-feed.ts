import { setImmediate as nextTurn } from 'node:timers/promises';
import { ValidationError, describeError } from '../../domain/errors.ts';
import { PRIORITIES, type JobMessage } from '../../domain/job.ts';
import type { FeedOptions } from '../../compose/backend.ts';
import type { DeliveryHandler, JobFeed, JobFeedEvents } from '../../ports/job-queue.ts';
import type { DeadLetter, ReceivedMessage, ReceiveResult, SqliteJobQueue } from './sqlite-job-queue.ts';

export interface SqliteJobFeedTuning {
  /**
   * While idle, how often to check whether another process wrote to the database (a pragma, no
   * table read): every `minChangePollMs` at first, slowing by half again each time up to
   * `maxChangePollMs` as the idle spell lasts. Bounds the latency of a message another process
   * enqueues; each check costs about a quarter of a millisecond of CPU. Defaults 20 and 80 ms.
   */
  minChangePollMs?: number;
  maxChangePollMs?: number;
  /** While idle, look at the queue at least this often even when nothing signalled. Default 1000 ms. */
  maxIdleMs?: number;
  /** After a failed receive, wait this long before the next. Default 500 ms. */
  errorBackoffMs?: number;
}

/** SQS ReceiveMessage returns at most 10 messages per call (MaxNumberOfMessages). */
const MAX_BATCH_SIZE = 10;
/** While the handler has no room for more messages, look again this often (a call, no I/O). */
const ROOM_RECHECK_MS = 100;

/**
 * Consumes the embedded queue like sqs-consumer consumes SQS: receive a batch, run the handler on
 * each message, then ack (delete) or release (change visibility) as the handler decided; a handler
 * that throws leaves its message hidden until the visibility timeout ends. It receives only while
 * fewer than `maxInFlight` handlers are busy and the handler has `room`. Messages whose handler is
 * still busy are kept hidden (every third of the visibility timeout, as sqs-consumer's heartbeat
 * does on SQS), so a short timeout only bounds how long a dead consumer's messages stay hidden.
 *
 * Latency without burning CPU: after an empty receive it sleeps until the next hidden message is
 * due, an enqueue in this process wakes it, or another process commits a write (checked every
 * 20–80 ms through `PRAGMA data_version`, which reads no table) — whichever comes first.
 */
export class SqliteJobFeed implements JobFeed {
  private readonly queue: SqliteJobQueue;
  private readonly options: FeedOptions;
  private readonly minChangePollMs: number;
  private readonly maxChangePollMs: number;
  private changePollMs: number;
  private readonly maxIdleMs: number;
  private readonly errorBackoffMs: number;
  private readonly listeners: { [E in keyof JobFeedEvents]: Set<JobFeedEvents[E]> } = {
    malformed: new Set(),
    error: new Set(),
  };
  private readonly inFlight = new Set<Promise<void>>();
  /** Receipts of the messages whose handler has not settled yet: the ones kept hidden. */
  private readonly held = new Set<string>();
  private keepHidden: NodeJS.Timeout | null = null;
  private handler: DeliveryHandler | null = null;
  private loop: Promise<void> | null = null;
  private stopping = false;
  private signalled = false;
  private wakeNap: (() => void) | null = null;

  constructor(queue: SqliteJobQueue, options: FeedOptions, tuning: SqliteJobFeedTuning = {}) {
    validateFeedOptions(options);
    this.queue = queue;
    this.options = options;
    this.minChangePollMs = tuning.minChangePollMs ?? 20;
    this.maxChangePollMs = Math.max(this.minChangePollMs, tuning.maxChangePollMs ?? 80);
    this.changePollMs = this.minChangePollMs;
    this.maxIdleMs = tuning.maxIdleMs ?? 1000;
    this.errorBackoffMs = tuning.errorBackoffMs ?? 500;
  }

  start(handler: DeliveryHandler): void {
    if (this.loop) throw new Error('this feed was already started');
    this.handler = handler;
    this.keepHidden = setInterval(() => this.extendHeld(), (this.options.visibilityTimeoutSeconds * 1000) / 3);
    this.keepHidden.unref();
    this.loop = this.receiveUntilStopped();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.loop;
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    if (this.keepHidden) clearInterval(this.keepHidden);
  }

  on<E extends keyof JobFeedEvents>(event: E, listener: JobFeedEvents[E]): void {
    (this.listeners[event] as Set<JobFeedEvents[E]>).add(listener);
  }

  private async receiveUntilStopped(): Promise<void> {
    const unsubscribe = this.queue.onActivity(() => this.wake());
    try {
      while (!this.stopping) {
        const free = this.options.maxInFlight - this.inFlight.size;
        if (free <= 0) {
          this.signalled = false;
          await this.nap(Infinity); // a handler finishing (or stop) wakes us
          continue;
        }
        const room = Math.min(free, this.options.room?.(null) ?? free);
        if (room <= 0) {
          this.signalled = false;
          await this.nap(ROOM_RECHECK_MS);
          continue;
        }
        this.signalled = false;
        this.queue.changedElsewhere(); // note the data version: only writes after this receive count
        let result: ReceiveResult;
        try {
          result = this.queue.receive(Math.min(this.options.batchSize, room), this.options.visibilityTimeoutSeconds);
        } catch (error) {
          this.emit('error', asError(error));
          await this.nap(this.errorBackoffMs);
          continue;
        }
        for (const dead of result.deadLettered) this.emit('error', deadLetterError(dead));
        for (const message of result.messages) this.deliver(message);
        if (result.messages.length > 0 || result.deadLettered.length > 0) {
          this.changePollMs = this.minChangePollMs;
          await nextTurn();
        } else {
          await this.idle(result.nextVisibleAt);
        }
      }
    } finally {
      unsubscribe();
    }
  }

  /**
   * Sleeps until something may have become receivable. The change poll slows while nothing happens
   * and is fast again after anything does (a change elsewhere, a wake-up, a delivery).
   */
  private async idle(nextVisibleAt: number | null): Promise<void> {
    const until = Math.min(Date.now() + this.maxIdleMs, nextVisibleAt ?? Infinity);
    while (!this.stopping && !this.signalled) {
      const left = until - Date.now();
      if (left <= 0) return;
      await this.nap(Math.min(left, this.changePollMs));
      if (this.queue.changedElsewhere()) break;
      this.changePollMs = Math.min(this.maxChangePollMs, Math.ceil(this.changePollMs * 1.5));
    }
    this.changePollMs = this.minChangePollMs;
  }

  private deliver(received: ReceivedMessage): void {
    let message: JobMessage;
    try {
      message = parseJobMessage(received.body);
    } catch (error) {
      // Left hidden: it comes back after the visibility timeout and ends in the dead letters.
      this.emit('malformed', received.body, asError(error));
      return;
    }
    const handler = this.handler!;
    this.held.add(received.receipt);
    const settled = (async () => {
      let outcome;
      try {
        outcome = await handler({ message, receiveCount: received.receiveCount });
      } catch (error) {
        // Not acked: the message reappears when its visibility timeout ends.
        this.held.delete(received.receipt);
        this.emit('error', new Error(`handler failed for job ${message.jobId}: ${describeError(error)}`, { cause: error }));
        return;
      }
      this.held.delete(received.receipt);
      try {
        if (outcome.kind === 'ack') this.queue.ack(received.receipt);
        else this.queue.release(received.receipt, outcome.delaySeconds);
      } catch (error) {
        this.emit('error', asError(error));
      }
    })();
    const tracked = settled.finally(() => {
      this.inFlight.delete(tracked);
      this.wake();
    });
    this.inFlight.add(tracked);
  }

  private extendHeld(): void {
    if (this.held.size === 0) return;
    try {
      this.queue.extend([...this.held], this.options.visibilityTimeoutSeconds);
    } catch (error) {
      // The next round tries again; a message that did come back meanwhile is a duplicate the claim absorbs.
      this.emit('error', asError(error));
    }
  }

  private nap(ms: number): Promise<void> {
    if (this.stopping || this.signalled) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = Number.isFinite(ms) ? setTimeout(() => done(), ms) : null;
      const done = () => {
        if (timer) clearTimeout(timer);
        if (this.wakeNap === done) this.wakeNap = null;
        resolve();
      };
      this.wakeNap = done;
    });
  }

  private wake(): void {
    this.signalled = true;
    this.wakeNap?.();
  }

  private emit<E extends keyof JobFeedEvents>(event: E, ...args: Parameters<JobFeedEvents[E]>): void {
    for (const listener of this.listeners[event]) {
      (listener as (...a: Parameters<JobFeedEvents[E]>) => void)(...args);
    }
  }
}

/** Options are checked once, up front, naming the bad one. */
function validateFeedOptions(options: FeedOptions): void {
  const problems: string[] = [];
  if (!(options.visibilityTimeoutSeconds > 0))
    problems.push(`visibilityTimeoutSeconds must be positive, got ${options.visibilityTimeoutSeconds}`);
  if (!Number.isInteger(options.batchSize) || options.batchSize < 1 || options.batchSize > MAX_BATCH_SIZE) {
    problems.push(`batchSize must be an integer from 1 to ${MAX_BATCH_SIZE}, got ${options.batchSize}`);
  }
  if (!Number.isInteger(options.maxInFlight) || options.maxInFlight < 1)
    problems.push(`maxInFlight must be a positive integer, got ${options.maxInFlight}`);
  if (problems.length > 0) throw new ValidationError(`invalid feed options: ${problems.join('; ')}`);
}

function parseJobMessage(body: string): JobMessage {
  const value = JSON.parse(body) as unknown;
  if (typeof value !== 'object' || value === null) throw new Error('message body is not an object');
  const { jobId, priority, orderingKey } = value as Record<string, unknown>;
  if (typeof jobId !== 'string' || jobId.length === 0) throw new Error('message has no jobId');
  if (typeof priority !== 'string' || !(PRIORITIES as readonly string[]).includes(priority))
    throw new Error(`message has an unknown priority`);
  if (orderingKey !== null && typeof orderingKey !== 'string') throw new Error('message orderingKey is neither a string nor null');
  return { jobId, priority: priority as JobMessage['priority'], orderingKey };
}

function deadLetterError(dead: DeadLetter): Error {
  return new Error(`message ${dead.messageId} moved to the dead letters after ${dead.receiveCount} receives without an ack: ${dead.body}`);
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
