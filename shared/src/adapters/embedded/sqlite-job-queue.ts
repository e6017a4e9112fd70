import { randomBytes } from 'node:crypto';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { ValidationError } from '../../domain/errors.ts';
import { systemClock, type Clock } from '../../domain/ids.ts';
import { PRIORITIES, type JobMessage, type Priority } from '../../domain/job.ts';
import type { EnqueueOptions, JobQueue, QueueDepth } from '../../ports/job-queue.ts';
import { inImmediateTransaction } from './sqlite-database.ts';

/** SQS DelaySeconds: 0 to 900 seconds (SendMessage API reference). */
const MAX_DELAY_SECONDS = 900;
/** SQS ChangeMessageVisibility: a message can be hidden for at most 12 hours. */
const MAX_VISIBILITY_SECONDS = 12 * 3600;
/** SQS FIFO deduplication interval: 5 minutes (SQS Developer Guide, "Exactly-once processing"). */
const DEDUPLICATION_WINDOW_MS = 5 * 60 * 1000;
/** As the AWS stack's redrive policy: the sixth receive of an unacked message moves it aside. */
export const MAX_RECEIVE_COUNT = 5;

export interface SqliteJobQueueOptions {
  /** Decides visibility and delays. Default: the system clock. */
  clock?: Clock;
  /** Receives beyond this many move a message to the dead letters. Default 5 (MAX_RECEIVE_COUNT). */
  maxReceiveCount?: number;
}

/** One received message: hidden from other consumers until its visibility timeout ends. */
export interface ReceivedMessage {
  /** Identifies this receive; only it can ack or release the message. */
  receipt: string;
  body: string;
  receiveCount: number;
}

export interface DeadLetter {
  messageId: number;
  body: string;
  orderingKey: string | null;
  receiveCount: number;
  deadAt: Date;
}

export interface ReceiveResult {
  messages: ReceivedMessage[];
  /** Messages this receive moved to the dead letters instead of delivering. */
  deadLettered: DeadLetter[];
  /** When the next hidden message becomes visible (ms since the epoch), or null when none is hidden. */
  nextVisibleAt: number | null;
}

interface MessageRow {
  message_id: number;
  body: string;
  ordering_key: string | null;
  receive_count: number;
}

/**
 * The embedded job queue: one SQLite table with SQS's semantics, so the dispatcher behaves the same
 * on both backends. A message with an ordering key behaves like one in an SQS FIFO message group
 * (delivered in order, the group locked while its head is hidden, no per-message delay,
 * deduplicated for five minutes); the others like a standard queue's. Receives take the database's
 * write lock (BEGIN IMMEDIATE), so consumers in different processes never receive one message at
 * once. The consumer side (`receive`, `ack`, `release`) is what `SqliteJobFeed` polls.
 */
export class SqliteJobQueue implements JobQueue {
  private readonly db: DatabaseSync;
  private readonly clock: Clock;
  private readonly maxReceiveCount: number;
  private readonly listeners = new Set<() => void>();
  private readonly statements: {
    insert: StatementSync;
    candidates: StatementSync;
    hide: StatementSync;
    moveToDeadLetters: StatementSync;
    deleteMessage: StatementSync;
    nextVisibleAt: StatementSync;
    ack: StatementSync;
    release: StatementSync;
    extend: StatementSync;
    dataVersion: StatementSync;
  };
  private lastDataVersion = -1;

  constructor(db: DatabaseSync, options: SqliteJobQueueOptions = {}) {
    this.db = db;
    this.clock = options.clock ?? systemClock;
    this.maxReceiveCount = options.maxReceiveCount ?? MAX_RECEIVE_COUNT;
    this.statements = {
      insert: db.prepare(`INSERT INTO queue_messages (body, priority_rank, ordering_key, sent_at, visible_at) VALUES (?, ?, ?, ?, ?)`),
      // Visible messages, highest priority then oldest; of an ordered group only its head, and only
      // while the head is visible (a hidden head is in flight or released with a delay: the group waits).
      candidates: db.prepare(
        `SELECT message_id, body, ordering_key, receive_count FROM queue_messages m
         WHERE m.visible_at <= ?
           AND (m.ordering_key IS NULL
                OR m.message_id = (SELECT min(g.message_id) FROM queue_messages g WHERE g.ordering_key = m.ordering_key))
         ORDER BY m.priority_rank, m.message_id
         LIMIT ?`,
      ),
      hide: db.prepare('UPDATE queue_messages SET visible_at = ?, receive_count = ?, receipt = ? WHERE message_id = ?'),
      moveToDeadLetters: db.prepare(
        `INSERT INTO dead_letters (message_id, body, priority_rank, ordering_key, sent_at, receive_count, dead_at)
         SELECT message_id, body, priority_rank, ordering_key, sent_at, receive_count, ? FROM queue_messages WHERE message_id = ?`,
      ),
      deleteMessage: db.prepare('DELETE FROM queue_messages WHERE message_id = ?'),
      nextVisibleAt: db.prepare('SELECT min(visible_at) AS at FROM queue_messages WHERE visible_at > ?'),
      ack: db.prepare('DELETE FROM queue_messages WHERE message_id = ? AND receipt = ?'),
      release: db.prepare('UPDATE queue_messages SET visible_at = ?, receipt = NULL WHERE message_id = ? AND receipt = ?'),
      extend: db.prepare('UPDATE queue_messages SET visible_at = ? WHERE message_id = ? AND receipt = ?'),
      dataVersion: db.prepare('PRAGMA data_version'),
    };
  }

  async enqueue(message: JobMessage, options: EnqueueOptions = {}): Promise<void> {
    const delaySeconds = options.delaySeconds ?? 0;
    if (!Number.isInteger(delaySeconds) || delaySeconds < 0 || delaySeconds > MAX_DELAY_SECONDS) {
      throw new ValidationError(`delaySeconds must be an integer from 0 to ${MAX_DELAY_SECONDS}, got ${delaySeconds}`);
    }
    const now = this.clock.now().getTime();
    const body = JSON.stringify({ jobId: message.jobId, priority: message.priority, orderingKey: message.orderingKey });
    const rank = priorityRank(message.priority);
    inImmediateTransaction(this.db, () => {
      if (message.orderingKey === null) {
        this.statements.insert.run(body, rank, null, now, now + delaySeconds * 1000);
        return;
      }
      // FIFO: no per-message delay; a deduplication id seen in the last five minutes is dropped.
      const deduplicationId = options.deduplicationId ?? message.jobId;
      this.db.prepare('DELETE FROM queue_deduplication WHERE expires_at <= ?').run(now);
      const fresh = this.db
        .prepare('INSERT INTO queue_deduplication (deduplication_id, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING')
        .run(deduplicationId, now + DEDUPLICATION_WINDOW_MS);
      if (Number(fresh.changes) === 0) return;
      this.statements.insert.run(body, rank, message.orderingKey, now, now);
    });
    this.notify();
  }

  async depth(): Promise<QueueDepth> {
    const now = this.clock.now().getTime();
    const rows = this.db
      .prepare(
        `SELECT priority_rank AS rank,
                sum(CASE WHEN receive_count > 0 AND visible_at > ? THEN 0 ELSE 1 END) AS waiting,
                sum(CASE WHEN receive_count > 0 AND visible_at > ? THEN 1 ELSE 0 END) AS in_flight
         FROM queue_messages GROUP BY priority_rank`,
      )
      .all(now, now) as { rank: number; waiting: number; in_flight: number }[];
    const depth = Object.fromEntries(PRIORITIES.map((p) => [p, { waiting: 0, inFlight: 0 }])) as QueueDepth;
    for (const row of rows) {
      const priority = PRIORITIES[row.rank];
      if (priority) depth[priority] = { waiting: row.waiting, inFlight: row.in_flight };
    }
    return depth;
  }

  /**
   * Receives up to `max` visible messages and hides each for `visibilityTimeoutSeconds`. A message
   * already received `maxReceiveCount` times is moved to the dead letters instead (SQS redrive).
   */
  receive(max: number, visibilityTimeoutSeconds: number): ReceiveResult {
    const now = this.clock.now().getTime();
    // A look without the write lock first: an idle queue costs a read, not a lock every poll.
    if (this.statements.candidates.all(now, 1).length === 0)
      return { messages: [], deadLettered: [], nextVisibleAt: this.nextVisibleAt(now) };
    const hiddenUntil = now + clampVisibility(visibilityTimeoutSeconds) * 1000;
    return inImmediateTransaction(this.db, () => {
      const rows = this.statements.candidates.all(now, max) as unknown as MessageRow[];
      const messages: ReceivedMessage[] = [];
      const deadLettered: DeadLetter[] = [];
      for (const row of rows) {
        if (row.receive_count >= this.maxReceiveCount) {
          this.statements.moveToDeadLetters.run(now, row.message_id);
          this.statements.deleteMessage.run(row.message_id);
          deadLettered.push({
            messageId: row.message_id,
            body: row.body,
            orderingKey: row.ordering_key,
            receiveCount: row.receive_count,
            deadAt: new Date(now),
          });
          continue;
        }
        const token = `${row.message_id}.${randomBytes(12).toString('base64url')}`;
        this.statements.hide.run(hiddenUntil, row.receive_count + 1, token, row.message_id);
        messages.push({ receipt: token, body: row.body, receiveCount: row.receive_count + 1 });
      }
      return { messages, deadLettered, nextVisibleAt: this.nextVisibleAt(now) };
    });
  }

  /** Deletes the message. False when the receipt is stale (the message was received again since). */
  ack(receipt: string): boolean {
    const deleted = Number(this.statements.ack.run(messageIdOf(receipt), receipt).changes) > 0;
    if (deleted) this.notify(); // an ordered group's next message may now be deliverable
    return deleted;
  }

  /** Makes the message visible again after `delaySeconds`. False when the receipt is stale. */
  release(receipt: string, delaySeconds: number): boolean {
    const visibleAt = this.clock.now().getTime() + clampVisibility(delaySeconds) * 1000;
    const released = Number(this.statements.release.run(visibleAt, messageIdOf(receipt), receipt).changes) > 0;
    if (released) this.notify();
    return released;
  }

  /**
   * Keeps held messages hidden another `visibilityTimeoutSeconds` from now (SQS
   * ChangeMessageVisibility on a message still being handled), in one transaction. A stale receipt
   * is skipped. Returns how many were extended.
   */
  extend(receipts: readonly string[], visibilityTimeoutSeconds: number): number {
    if (receipts.length === 0) return 0;
    const hiddenUntil = this.clock.now().getTime() + clampVisibility(visibilityTimeoutSeconds) * 1000;
    return inImmediateTransaction(this.db, () => {
      let extended = 0;
      for (const receipt of receipts) extended += Number(this.statements.extend.run(hiddenUntil, messageIdOf(receipt), receipt).changes);
      return extended;
    });
  }

  deadLetters(): DeadLetter[] {
    const rows = this.db
      .prepare('SELECT message_id, body, ordering_key, receive_count, dead_at FROM dead_letters ORDER BY message_id')
      .all() as { message_id: number; body: string; ordering_key: string | null; receive_count: number; dead_at: number }[];
    return rows.map((r) => ({
      messageId: r.message_id,
      body: r.body,
      orderingKey: r.ordering_key,
      receiveCount: r.receive_count,
      deadAt: new Date(r.dead_at),
    }));
  }

  /**
   * Calls `listener` whenever this process enqueues or settles a message, so a feed in the same
   * process receives at once instead of at its next poll. Returns the unsubscribe function.
   */
  onActivity(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * True when another connection (another process) committed a write since the last call: a cheap
   * check (`PRAGMA data_version`, no table read) that lets an idle feed poll often for little.
   */
  changedElsewhere(): boolean {
    const { data_version: version } = this.statements.dataVersion.get() as { data_version: number };
    const changed = version !== this.lastDataVersion;
    this.lastDataVersion = version;
    return changed;
  }

  private nextVisibleAt(now: number): number | null {
    return (this.statements.nextVisibleAt.get(now) as { at: number | null }).at;
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}

function priorityRank(priority: Priority): number {
  const rank = PRIORITIES.indexOf(priority);
  if (rank < 0) throw new ValidationError(`unknown priority "${String(priority)}"`);
  return rank;
}

function clampVisibility(seconds: number): number {
  return Math.min(Math.max(0, seconds), MAX_VISIBILITY_SECONDS);
}

function messageIdOf(receipt: string): number {
  const id = Number(receipt.slice(0, receipt.indexOf('.')));
  if (!Number.isInteger(id) || id <= 0) throw new ValidationError(`not a receipt: "${receipt}"`);
  return id;
}
