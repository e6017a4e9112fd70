/** One pooled attempt handed to a warm pool: the job and the attempt a pool worker may start. */
export interface PoolHandOff {
  jobId: string;
  attempt: number;
  /**
   * The heartbeat interval the dispatcher's reaper judges this attempt by, carried with the hand-off
   * as a one-shot launch carries it in its environment, so a pool worker configured otherwise still
   * beats as often as the reaper expects. Absent: the worker's own setting.
   */
  heartbeatSeconds?: number;
}

export interface ReceivedHandOff extends PoolHandOff {
  /** Deletes or extends this delivery (an SQS receipt handle). */
  receipt: string;
}

/**
 * The queue a warm pool's workers take pooled attempts from (AWS: the `<prefix>-pool` SQS queue).
 * The dispatcher sends a hand-off after its claim; a pool worker receives one at a time, keeps it
 * hidden while it runs the attempt, and deletes it only once the attempt's end is durable, so a
 * worker that dies mid-attempt leaves the message to come back (and the attempt to the reaper).
 */
export interface PoolQueue {
  /** The queue's name, for worker refs and logs. */
  readonly name: string;
  send(handOff: PoolHandOff): Promise<void>;
  /** At most one hand-off, waiting up to `waitSeconds`; hidden from other workers for `visibilitySeconds`. */
  receive(waitSeconds: number, visibilitySeconds: number, signal?: AbortSignal): Promise<ReceivedHandOff | null>;
  /** Keeps a hand-off hidden `visibilitySeconds` more (a long attempt). */
  extend(receipt: string, visibilitySeconds: number): Promise<void>;
  delete(receipt: string): Promise<void>;
}
