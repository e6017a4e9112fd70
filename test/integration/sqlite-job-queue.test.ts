import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, test } from 'vitest';
import type { DatabaseSync } from 'node:sqlite';
import { openSqliteDatabase } from '@agent-runner/shared/adapters/embedded/sqlite-database.ts';
import { SqliteJobFeed } from '@agent-runner/shared/adapters/embedded/sqlite-job-feed.ts';
import { SqliteJobQueue } from '@agent-runner/shared/adapters/embedded/sqlite-job-queue.ts';
import { ValidationError } from '@agent-runner/shared/domain/errors.ts';
import { ulid, type Clock } from '@agent-runner/shared/domain/ids.ts';
import type { JobMessage, Priority } from '@agent-runner/shared/domain/job.ts';
import { waitFor } from '../support/wait-for.ts';

const ACTOR = fileURLToPath(new URL('../support/embedded-actor.ts', import.meta.url));
const run = promisify(execFile);
const actor = async (...args: string[]) =>
  (await run(process.execPath, ['--disable-warning=ExperimentalWarning', ACTOR, ...args], { encoding: 'utf8' })).stdout;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class ManualClock implements Clock {
  ms = Date.parse('2026-05-01T00:00:00.000Z');
  now() {
    return new Date(this.ms);
  }
  advance(seconds: number) {
    this.ms += seconds * 1000;
  }
}

const message = (priority: Priority = 'normal', orderingKey: string | null = null): JobMessage => ({
  jobId: ulid(new Date()),
  priority,
  orderingKey,
});
const jobIdOf = (body: string) => (JSON.parse(body) as JobMessage).jobId;

describe('SQLite job queue (embedded only)', () => {
  let dir: string;
  let db: DatabaseSync;
  let clock: ManualClock;
  let queue: SqliteJobQueue;
  const feeds: SqliteJobFeed[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'agent-runner-queue-'));
    db = openSqliteDatabase(dir);
    clock = new ManualClock();
    queue = new SqliteJobQueue(db, { clock });
  });
  afterEach(async () => {
    await Promise.all(feeds.splice(0).map((f) => f.stop()));
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('receives the highest priority first, then the oldest', async () => {
    const sent = [message('low'), message('normal'), message('critical'), message('high'), message('low'), message('critical')];
    for (const m of sent) await queue.enqueue(m);
    const received = queue.receive(10, 30).messages.map((m) => jobIdOf(m.body));
    const byPriority = (p: Priority) => sent.filter((m) => m.priority === p).map((m) => m.jobId);
    assert.deepEqual(received, [...byPriority('critical'), ...byPriority('high'), ...byPriority('normal'), ...byPriority('low')]);
  });

  test('the sixth receive of a message never acked moves it to the dead letters (SQS maxReceiveCount 5)', async () => {
    const sent = message();
    await queue.enqueue(sent);
    for (let receive = 1; receive <= 5; receive++) {
      const { messages } = queue.receive(10, 1);
      assert.equal(messages.length, 1);
      assert.equal(messages[0]!.receiveCount, receive);
      assert.equal(queue.receive(10, 1).messages.length, 0, 'hidden while in flight');
      clock.advance(1);
    }
    const sixth = queue.receive(10, 1);
    assert.deepEqual(sixth.messages, []);
    assert.equal(sixth.deadLettered.length, 1);
    assert.equal(jobIdOf(sixth.deadLettered[0]!.body), sent.jobId);
    assert.deepEqual(
      queue.deadLetters().map((d) => [jobIdOf(d.body), d.receiveCount]),
      [[sent.jobId, 5]],
    );
    assert.equal(
      Object.values(await queue.depth()).reduce((n, d) => n + d.waiting + d.inFlight, 0),
      0,
    );
  });

  test('the feed reports a dead-lettered message as an error', async () => {
    const realQueue = new SqliteJobQueue(db, { maxReceiveCount: 1 });
    const feed = new SqliteJobFeed(realQueue, { visibilityTimeoutSeconds: 0.1, batchSize: 10, maxInFlight: 10 });
    feeds.push(feed);
    const errors: Error[] = [];
    feed.on('error', (e) => errors.push(e));
    feed.start(async () => {
      throw new Error('always fails');
    });
    const sent = message();
    await realQueue.enqueue(sent);
    await waitFor('the dead letter', () => (realQueue.deadLetters().length > 0 ? true : undefined), { timeoutMs: 5000, intervalMs: 20 });
    await waitFor('the report', () => errors.find((e) => e.message.includes('dead letters')), { timeoutMs: 2000, intervalMs: 20 });
    assert.ok(
      errors.some((e) => e.message.includes('always fails')),
      'the handler failure is reported too',
    );
  });

  test('an ack with a stale receipt deletes nothing', async () => {
    await queue.enqueue(message());
    const first = queue.receive(1, 1).messages[0]!;
    clock.advance(2);
    const second = queue.receive(1, 1).messages[0]!;
    assert.equal(queue.ack(first.receipt), false);
    assert.equal(queue.release(first.receipt, 0), false);
    assert.equal(queue.ack(second.receipt), true);
    assert.equal(queue.receive(1, 1).messages.length, 0);
  });

  test('ordered messages ignore per-message delays and drop a deduplication id seen within five minutes', async () => {
    const first = message('normal', 'group');
    await queue.enqueue(first, { delaySeconds: 60 });
    await queue.enqueue(first);
    await queue.enqueue({ ...first }, { deduplicationId: `${first.jobId}:2` });
    const received = queue.receive(10, 30).messages;
    assert.equal(received.length, 1, 'one per group at a time');
    assert.equal(jobIdOf(received[0]!.body), first.jobId, 'delivered at once despite the delay');
    queue.ack(received[0]!.receipt);
    const second = queue.receive(10, 30).messages;
    assert.equal(second.length, 1, 'the second id was a new message');
    queue.ack(second[0]!.receipt);
    clock.advance(5 * 60);
    await queue.enqueue(first);
    assert.equal((await queue.depth()).normal.waiting, 1, 'accepted again after the window');
  });

  test('a malformed message is reported and left to come back', async () => {
    const realQueue = new SqliteJobQueue(db);
    db.prepare('INSERT INTO queue_messages (body, priority_rank, sent_at, visible_at) VALUES (?, 2, 0, 0)').run('{"not":"a job"}');
    const feed = new SqliteJobFeed(realQueue, { visibilityTimeoutSeconds: 30, batchSize: 10, maxInFlight: 10 });
    feeds.push(feed);
    const malformed: string[] = [];
    feed.on('malformed', (raw) => malformed.push(raw));
    let handled = 0;
    feed.start(async () => {
      handled++;
      return { kind: 'ack' };
    });
    await waitFor('the malformed report', () => (malformed.length > 0 ? true : undefined), { timeoutMs: 5000, intervalMs: 20 });
    assert.deepEqual(malformed, ['{"not":"a job"}']);
    assert.equal(handled, 0);
    assert.equal((await realQueue.depth()).normal.inFlight, 1, 'hidden, not deleted');
  });

  test('feed options are checked up front, naming the bad one', () => {
    assert.throws(
      () => new SqliteJobFeed(queue, { visibilityTimeoutSeconds: 30, batchSize: 11, maxInFlight: 1 }),
      (error: unknown) => error instanceof ValidationError && /batchSize/.test(error.message),
    );
    assert.throws(
      () => new SqliteJobFeed(queue, { visibilityTimeoutSeconds: 0, batchSize: 1, maxInFlight: 1 }),
      /visibilityTimeoutSeconds/,
    );
    assert.throws(() => new SqliteJobFeed(queue, { visibilityTimeoutSeconds: 1, batchSize: 1, maxInFlight: 0 }), /maxInFlight/);
  });

  test('enqueue refuses a delay SQS would refuse', async () => {
    await assert.rejects(queue.enqueue(message(), { delaySeconds: 901 }), ValidationError);
    await assert.rejects(queue.enqueue(message(), { delaySeconds: -1 }), ValidationError);
  });

  test('an idle feed receives a message enqueued in its process within 50 ms, and idles cheaply', async () => {
    const realQueue = new SqliteJobQueue(db);
    const feed = new SqliteJobFeed(realQueue, { visibilityTimeoutSeconds: 30, batchSize: 10, maxInFlight: 10 });
    feeds.push(feed);
    const receivedAt = new Map<string, number>();
    feed.start(async ({ message: m }) => {
      receivedAt.set(m.jobId, performance.now());
      return { kind: 'ack' };
    });
    const cpuBefore = process.cpuUsage();
    await sleep(1000);
    const idleCpuMs = (process.cpuUsage(cpuBefore).user + process.cpuUsage(cpuBefore).system) / 1000;
    assert.ok(idleCpuMs < 30, `an idle second cost ${idleCpuMs} ms of CPU`);

    const latencies: number[] = [];
    for (let i = 0; i < 5; i++) {
      const m = message();
      const sentAt = performance.now();
      await realQueue.enqueue(m);
      const at = await waitFor('the delivery', () => receivedAt.get(m.jobId), { timeoutMs: 2000, intervalMs: 1 });
      latencies.push(at - sentAt);
      await sleep(300);
    }
    latencies.sort((a, b) => a - b);
    assert.ok(latencies[2]! < 50, `median latency ${latencies[2]} ms (${latencies.map((l) => l.toFixed(1)).join(', ')})`);
  });

  test('an idle feed receives a message another process enqueued within about 100 ms', async () => {
    const realQueue = new SqliteJobQueue(db);
    const feed = new SqliteJobFeed(realQueue, { visibilityTimeoutSeconds: 30, batchSize: 10, maxInFlight: 10 });
    feeds.push(feed);
    const receivedAt = new Map<string, number>();
    feed.start(async ({ message: m }) => {
      receivedAt.set(m.jobId, Date.now());
      return { kind: 'ack' };
    });
    await sleep(500);
    const latencies: number[] = [];
    for (let i = 0; i < 3; i++) {
      const jobId = ulid(new Date());
      const { sentAt } = JSON.parse(await actor('enqueue', dir, jobId)) as { sentAt: number };
      const at = await waitFor('the delivery', () => receivedAt.get(jobId), { timeoutMs: 5000, intervalMs: 5 });
      latencies.push(at - sentAt);
    }
    latencies.sort((a, b) => a - b);
    assert.ok(latencies[1]! < 100, `median latency ${latencies[1]} ms (${latencies.join(', ')})`);
  });

  test('feeds in three processes receive each message exactly once', async () => {
    const realQueue = new SqliteJobQueue(db);
    const sent = Array.from({ length: 60 }, () => message());
    for (const m of sent) await realQueue.enqueue(m);
    const outputs = await Promise.all([actor('consume', dir, '2500'), actor('consume', dir, '2500'), actor('consume', dir, '2500')]);
    const acked = outputs.flatMap((o) => o.split('\n').filter(Boolean));
    assert.equal(acked.length, sent.length, 'no message was handled twice');
    assert.deepEqual(new Set(acked), new Set(sent.map((m) => m.jobId)));
    assert.equal((await realQueue.depth()).normal.waiting, 0);
  });
});
