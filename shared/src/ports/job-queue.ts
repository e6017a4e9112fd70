import type { JobMessage, Priority } from '../domain/job.ts';

export interface EnqueueOptions {
  /** Hide the message this long, 0–900 s (SQS DelaySeconds). FIFO queues ignore per-message delays. */
  delaySeconds?: number;
  /** FIFO deduplication id; defaults to the job id. A retry passes `<jobId>:<attempt>`. */
  deduplicationId?: string;
}

/** Messages waiting (visible or delayed) and in flight (received, not yet deleted), per priority. */
export type QueueDepth = Record<Priority, { waiting: number; inFlight: number }>;

/** The producer side: the API and the scheduler put job ids on the queue. */
export interface JobQueue {
  /**
   * Sends the message to its priority's queue, or to the FIFO queue when it has an ordering key.
   * Throws UnavailableError when the queue cannot be reached.
   */
  enqueue(message: JobMessage, options?: EnqueueOptions): Promise<void>;
  /** Approximate depth (SQS ApproximateNumberOfMessages*; exact on the embedded backend). */
  depth(): Promise<QueueDepth>;
}

/** One received message. It stays invisible to other consumers until acked or released. */
export interface JobDelivery {
  message: JobMessage;
  /** How many times this message has been received, this time included (SQS ApproximateReceiveCount). */
  receiveCount: number;
}

/** What the consumer decided about a delivery. */
export type DeliveryOutcome =
  /** Its effect is durable: delete the message. */
  | { kind: 'ack' }
  /** Not now: make it visible again after `delaySeconds` (0 = at once). */
  | { kind: 'release'; delaySeconds: number };

export type DeliveryHandler = (delivery: JobDelivery) => Promise<DeliveryOutcome>;

export interface JobFeedEvents {
  /** A message that could not be parsed; it is left to the queue's redrive policy / dead letters. */
  malformed: (raw: string, error: Error) => void;
  /** Receiving or acking failed; the feed keeps going. */
  error: (error: Error) => void;
}

/**
 * The consumer side: delivers messages from every priority queue to one handler. The handler's
 * outcome decides the message's fate; a handler that throws leaves the message to reappear after
 * its visibility timeout. A message is deleted only after the handler said `ack`.
 */
export interface JobFeed {
  start(handler: DeliveryHandler): void;
  /** Stops receiving and waits for in-flight handlers to finish. */
  stop(): Promise<void>;
  on<E extends keyof JobFeedEvents>(event: E, listener: JobFeedEvents[E]): void;
}
