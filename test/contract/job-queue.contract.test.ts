import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { FeedOptions } from '@agent-runner/shared/compose/backend.ts';
import { ulid } from '@agent-runner/shared/domain/ids.ts';
import type { JobMessage, Priority } from '@agent-runner/shared/domain/job.ts';
import type { DeliveryHandler, DeliveryOutcome, JobDelivery, JobFeed, QueueDepth } from '@agent-runner/shared/ports/job-queue.ts';
import { backendsUnderTest, openBackend, type OpenedBackend } from '../support/backends.ts';
import { waitFor } from '../support/wait-for.ts';

const ACK: DeliveryOutcome = { kind: 'ack' };
/** Short, so redelivery cases take about a second. */
const FAST: FeedOptions = { visibilityTimeoutSeconds: 1, batchSize: 10, maxInFlight: 10 };

interface Received {
  delivery: JobDelivery;
  at: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const message = (priority: Priority = 'normal', orderingKey: string | null = null): JobMessage => ({
  jobId: ulid(new Date()),
  priority,
  orderingKey,
});
const total = (depth: QueueDepth) =>
  Object.values(depth).reduce((sum, d) => ({ waiting: sum.waiting + d.waiting, inFlight: sum.inFlight + d.inFlight }), {
    waiting: 0,
    inFlight: 0,
  });

for (const target of backendsUnderTest()) {
  describe(`JobQueue and JobFeed contract (${target.name})`, () => {
    let opened: OpenedBackend;
    const feeds: JobFeed[] = [];
    beforeAll(async () => {
      opened = await openBackend(target);
    });
    afterAll(async () => {
      await Promise.all(feeds.map((f) => f.stop()));
      await opened?.close();
    });

    /**
     * Starts a feed whose handler sees only this test's messages; anything else (a leftover of a
     * failed test) is acked out of the way.
     */
    function startFeed(options: FeedOptions, ours: readonly JobMessage[], handle: DeliveryHandler): JobFeed {
      const ids = new Set(ours.map((m) => m.jobId));
      const feed = opened.backend.createFeed(options);
      feeds.push(feed);
      feed.start(async (delivery) => (ids.has(delivery.message.jobId) ? handle(delivery) : ACK));
      return feed;
    }

    async function enqueueAll(messages: readonly JobMessage[], delaySeconds?: number): Promise<void> {
      for (const m of messages) await opened.backend.queue.enqueue(m, delaySeconds === undefined ? {} : { delaySeconds });
    }

    test('an enqueued message is delivered once with receiveCount 1; ack deletes it', async () => {
      const sent = message('high');
      const seen: Received[] = [];
      const feed = startFeed(FAST, [sent], async (delivery) => {
        seen.push({ delivery, at: Date.now() });
        return ACK;
      });
      await enqueueAll([sent]);
      await waitFor('the delivery', () => (seen.length > 0 ? true : undefined), { timeoutMs: 10_000, intervalMs: 20 });
      assert.deepEqual(seen[0]!.delivery, { message: sent, receiveCount: 1 });
      // Past the visibility timeout an unacked message would be back.
      await sleep(FAST.visibilityTimeoutSeconds * 1000 + 700);
      assert.equal(seen.length, 1, 'an acked message is not delivered again');
      await feed.stop();
      assert.deepEqual(total(await opened.backend.queue.depth()), { waiting: 0, inFlight: 0 });
    });

    test('a released message comes back after its delay with receiveCount 2', async () => {
      const sent = message();
      const seen: Received[] = [];
      const feed = startFeed(FAST, [sent], async (delivery) => {
        seen.push({ delivery, at: Date.now() });
        return seen.length === 1 ? { kind: 'release', delaySeconds: 1 } : ACK;
      });
      await enqueueAll([sent]);
      await waitFor('the second delivery', () => (seen.length >= 2 ? true : undefined), { timeoutMs: 15_000, intervalMs: 20 });
      await feed.stop();
      assert.deepEqual(
        seen.map((s) => s.delivery.receiveCount),
        [1, 2],
      );
      const gap = seen[1]!.at - seen[0]!.at;
      assert.ok(gap >= 900, `came back after ${gap} ms, not before the 1 s delay`);
    });

    test('a message whose handler throws comes back after the visibility timeout', async () => {
      const sent = message();
      const seen: Received[] = [];
      const feed = startFeed(FAST, [sent], async (delivery) => {
        seen.push({ delivery, at: Date.now() });
        if (seen.length === 1) throw new Error('handler crashed');
        return ACK;
      });
      await enqueueAll([sent]);
      await waitFor('the redelivery', () => (seen.length >= 2 ? true : undefined), { timeoutMs: 15_000, intervalMs: 20 });
      await feed.stop();
      assert.equal(seen[1]!.delivery.receiveCount, 2);
      assert.deepEqual(seen[1]!.delivery.message, sent);
      const gap = seen[1]!.at - seen[0]!.at;
      assert.ok(gap >= 900, `came back after ${gap} ms, not before the 1 s visibility timeout`);
    });

    test('a message sent with delaySeconds is not delivered before the delay', async () => {
      const sent = message('low');
      const seen: Received[] = [];
      const feed = startFeed(FAST, [sent], async (delivery) => {
        seen.push({ delivery, at: Date.now() });
        return ACK;
      });
      const sentAt = Date.now();
      await enqueueAll([sent], 2);
      await waitFor('the delayed delivery', () => (seen.length > 0 ? true : undefined), { timeoutMs: 15_000, intervalMs: 20 });
      await feed.stop();
      const after = seen[0]!.at - sentAt;
      assert.ok(after >= 1900, `delivered ${after} ms after sending, before its 2 s delay`);
      assert.equal(seen[0]!.delivery.receiveCount, 1);
    });

    test('messages of one ordering key arrive in order, one at a time; other keys are not held up', async () => {
      const key = `group-${randomUUID()}`;
      const ordered = [message('normal', key), message('normal', key), message('normal', key)];
      const other = message('normal', `other-${randomUUID()}`);
      const events: string[] = [];
      let groupBusy = false;
      let overlapped = false;
      const feed = startFeed(FAST, [...ordered, other], async (delivery) => {
        const id = delivery.message.jobId;
        if (id === other.jobId) {
          events.push('other');
          return ACK;
        }
        if (groupBusy) overlapped = true;
        groupBusy = true;
        events.push(`start ${ordered.findIndex((m) => m.jobId === id)}`);
        await sleep(300);
        events.push(`end ${ordered.findIndex((m) => m.jobId === id)}`);
        groupBusy = false;
        return ACK;
      });
      await enqueueAll([...ordered, other]);
      await waitFor('every message', () => (events.filter((e) => e.startsWith('end') || e === 'other').length >= 4 ? true : undefined), {
        timeoutMs: 20_000,
        intervalMs: 20,
      });
      await feed.stop();
      assert.equal(overlapped, false, `a second message of the group was delivered while one was in flight: ${events.join(', ')}`);
      assert.deepEqual(
        events.filter((e) => e !== 'other'),
        ['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2'],
      );
      assert.ok(events.indexOf('other') < events.indexOf('end 2'), `another group waited for this one: ${events.join(', ')}`);
    });

    test('depth counts waiting (visible and delayed) and in-flight messages', async () => {
      const before = total(await opened.backend.queue.depth());
      assert.deepEqual(before, { waiting: 0, inFlight: 0 }, 'earlier tests left the queue empty');
      const visible = [message(), message(), message()];
      const delayed = message();
      await enqueueAll(visible);
      await enqueueAll([delayed], 2);
      const queued = await opened.backend.queue.depth();
      assert.deepEqual(queued.normal, { waiting: 4, inFlight: 0 });

      let letGo: () => void = () => {};
      const held = new Promise<void>((resolve) => (letGo = resolve));
      const handled = new Set<string>();
      const feed = startFeed({ visibilityTimeoutSeconds: 30, batchSize: 1, maxInFlight: 1 }, [...visible, delayed], async (delivery) => {
        await held;
        handled.add(delivery.message.jobId);
        return ACK;
      });
      const during = await waitFor(
        'one message in flight',
        async () => {
          const depth = await opened.backend.queue.depth();
          return depth.normal.inFlight === 1 ? depth : undefined;
        },
        { timeoutMs: 10_000, intervalMs: 50 },
      );
      assert.deepEqual(during.normal, { waiting: 3, inFlight: 1 });
      letGo();
      await waitFor('every message handled', () => (handled.size === 4 ? true : undefined), { timeoutMs: 15_000, intervalMs: 50 });
      await feed.stop();
      assert.deepEqual(total(await opened.backend.queue.depth()), { waiting: 0, inFlight: 0 });
    });

    test('a feed runs at most maxInFlight handlers at once', async () => {
      const sent = Array.from({ length: 6 }, () => message());
      let busy = 0;
      let mostBusy = 0;
      const done = new Set<string>();
      const feed = startFeed({ visibilityTimeoutSeconds: 10, batchSize: 10, maxInFlight: 2 }, sent, async (delivery) => {
        busy++;
        mostBusy = Math.max(mostBusy, busy);
        await sleep(100);
        busy--;
        done.add(delivery.message.jobId);
        return ACK;
      });
      await enqueueAll(sent);
      await waitFor('every message', () => (done.size === sent.length ? true : undefined), { timeoutMs: 15_000, intervalMs: 20 });
      await feed.stop();
      assert.equal(mostBusy, 2);
    });

    test('two feeds on one queue never hold the same message at once, and every message is acked once', async () => {
      const sent = Array.from({ length: 20 }, (_, i) => message(i % 2 === 0 ? 'normal' : 'high'));
      const holding = new Set<string>();
      const acked = new Map<string, number>();
      const doubled: string[] = [];
      const handle = (feedName: string) => async (delivery: JobDelivery) => {
        const id = delivery.message.jobId;
        if (holding.has(id)) doubled.push(`${id} (${feedName})`);
        holding.add(id);
        await sleep(20 + Math.floor(Math.random() * 40));
        holding.delete(id);
        acked.set(id, (acked.get(id) ?? 0) + 1);
        return ACK;
      };
      const options: FeedOptions = { visibilityTimeoutSeconds: 10, batchSize: 5, maxInFlight: 5 };
      const first = startFeed(options, sent, handle('first'));
      const second = startFeed(options, sent, handle('second'));
      await enqueueAll(sent);
      await waitFor('every message', () => (acked.size === sent.length ? true : undefined), { timeoutMs: 20_000, intervalMs: 20 });
      await Promise.all([first.stop(), second.stop()]);
      assert.deepEqual(doubled, []);
      assert.ok(
        [...acked.values()].every((n) => n === 1),
        'each message was handled exactly once',
      );
    });

    test('a message stays hidden while its handler still has it, past the visibility timeout', async () => {
      // 3 s: the shortest AGENT_RUNNER_VISIBILITY_TIMEOUT_SECONDS; the feed extends it every second.
      const options: FeedOptions = { visibilityTimeoutSeconds: 3, batchSize: 10, maxInFlight: 10 };
      const sent = message();
      const seenBy: string[] = [];
      const holder = startFeed(options, [sent], async () => {
        seenBy.push('holder');
        await sleep(7_000);
        return ACK;
      });
      await enqueueAll([sent]);
      await waitFor('the holder to receive it', () => (seenBy.length > 0 ? true : undefined), { timeoutMs: 10_000, intervalMs: 20 });
      const other = startFeed(options, [sent], async () => {
        seenBy.push('other');
        return ACK;
      });
      await holder.stop(); // returns once the handler has acked, over two timeouts later
      await other.stop();
      assert.deepEqual(seenBy, ['holder'], 'no other consumer received the held message');
      assert.deepEqual(total(await opened.backend.queue.depth()), { waiting: 0, inFlight: 0 });
    });

    test('a feed receives nothing while its handler has no room, and resumes when it has', async () => {
      const sent = Array.from({ length: 3 }, () => message());
      let room = 0;
      const acked = new Set<string>();
      const feed = startFeed({ ...FAST, room: () => room }, sent, async (delivery) => {
        acked.add(delivery.message.jobId);
        return ACK;
      });
      await enqueueAll(sent);
      await sleep(1_500);
      assert.equal(acked.size, 0, 'nothing received without room');
      assert.equal(total(await opened.backend.queue.depth()).inFlight, 0, 'nothing taken off the queue either');
      room = 1;
      await waitFor('every message', () => (acked.size === sent.length ? true : undefined), { timeoutMs: 15_000, intervalMs: 20 });
      await feed.stop();
    });

    test('stop waits for the handlers in flight', async () => {
      const sent = message();
      let finished = false;
      let started = false;
      const feed = startFeed(FAST, [sent], async () => {
        started = true;
        await sleep(300);
        finished = true;
        return ACK;
      });
      await enqueueAll([sent]);
      await waitFor('the handler to start', () => (started ? true : undefined), { timeoutMs: 10_000, intervalMs: 10 });
      await feed.stop();
      assert.equal(finished, true);
    });
  });
}
