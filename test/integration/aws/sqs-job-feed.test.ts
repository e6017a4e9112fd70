import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { createAwsClients, type AwsClients } from '@agent-runner/shared/adapters/aws/aws-clients.ts';
import type { Backend, FeedOptions } from '@agent-runner/shared/compose/backend.ts';
import { createBackend } from '@agent-runner/shared/compose/create-backend.ts';
import { loadConfig, type AwsConfig } from '@agent-runner/shared/config/config.ts';
import { ulid } from '@agent-runner/shared/domain/ids.ts';
import { PRIORITIES, type JobMessage, type Priority } from '@agent-runner/shared/domain/job.ts';
import type { DeliveryHandler, JobDelivery, JobFeed } from '@agent-runner/shared/ports/job-queue.ts';
import { provisionTestAws, skipUnlessAws } from '../../support/aws-test-env.ts';
import { waitFor } from '../../support/wait-for.ts';

const FAST: FeedOptions = { visibilityTimeoutSeconds: 1, batchSize: 10, maxInFlight: 10 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const message = (priority: Priority = 'normal', orderingKey: string | null = null): JobMessage => ({
  jobId: ulid(new Date()),
  priority,
  orderingKey,
});

describe('SqsJobFeed on moto', { skip: Boolean(skipUnlessAws()) }, () => {
  let backend: Backend;
  let aws: AwsConfig;
  let clients: AwsClients;
  const feeds: JobFeed[] = [];

  beforeAll(async () => {
    const config = loadConfig(await provisionTestAws({ prefix: 'feed' }));
    aws = config.aws!;
    backend = await createBackend(config);
    clients = createAwsClients(aws.region, aws.endpoint);
  });
  afterAll(async () => {
    await Promise.all(feeds.map((feed) => feed.stop()));
    await backend?.close();
    clients?.destroy();
  });

  /** A feed whose handler sees only the given messages; anything else is acked out of the way. */
  function startFeed(options: FeedOptions, ours: readonly JobMessage[], handle: DeliveryHandler): JobFeed {
    const ids = new Set(ours.map((m) => m.jobId));
    const feed = backend.createFeed(options);
    feeds.push(feed);
    feed.start(async (delivery) => (ids.has(delivery.message.jobId) ? handle(delivery) : { kind: 'ack' }));
    return feed;
  }

  async function messagesIn(url: string): Promise<{ visible: number; inFlight: number }> {
    const out = await clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return {
      visible: Number(out.Attributes?.ApproximateNumberOfMessages),
      inFlight: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible),
    };
  }

  test('one feed takes from every priority queue and the FIFO queue, never more than maxInFlight handlers in all', async () => {
    const sent = [...PRIORITIES.flatMap((p) => [message(p), message(p)]), message('normal', `key-${randomUUID()}`)];
    const received = new Map<string, JobDelivery>();
    let busy = 0;
    let mostBusy = 0;
    const feed = startFeed({ visibilityTimeoutSeconds: 10, batchSize: 10, maxInFlight: 2 }, sent, async (delivery) => {
      busy++;
      mostBusy = Math.max(mostBusy, busy);
      await sleep(50);
      busy--;
      received.set(delivery.message.jobId, delivery);
      return { kind: 'ack' };
    });
    for (const m of sent) await backend.queue.enqueue(m);
    await waitFor('every message', () => (received.size === sent.length ? true : undefined), { timeoutMs: 15_000, intervalMs: 20 });
    await feed.stop();
    for (const m of sent) assert.deepEqual(received.get(m.jobId)?.message, m);
    assert.equal(mostBusy, 2, 'five queues, each with its consumers, still share the one limit');
    for (const url of [...Object.values(aws.queueUrls), aws.fifoQueueUrl!]) {
      assert.deepEqual(await messagesIn(url), { visible: 0, inFlight: 0 }, `ack deleted every message of ${url}`);
    }
  });

  test('a FIFO group whose first message is released is redelivered from that message, still in order', async () => {
    const key = `key-${randomUUID()}`;
    const group = [message('normal', key), message('normal', key), message('normal', key)];
    const handled: string[] = [];
    let releasedOnce = false;
    const feed = startFeed(FAST, group, async (delivery) => {
      const index = group.findIndex((m) => m.jobId === delivery.message.jobId);
      handled.push(`${index}#${delivery.receiveCount}`);
      if (index === 0 && !releasedOnce) {
        releasedOnce = true;
        return { kind: 'release', delaySeconds: 0 };
      }
      return { kind: 'ack' };
    });
    // Sent before anything polls them, so the whole group tends to come back in one batch.
    for (const m of group) await backend.queue.enqueue(m);
    await waitFor('the group', () => (handled.filter((h) => !h.startsWith('0#1')).length === 3 ? true : undefined), {
      timeoutMs: 15_000,
      intervalMs: 20,
    });
    await feed.stop();
    assert.deepEqual(
      handled.map((h) => h.split('#')[0]),
      ['0', '0', '1', '2'],
      `handled ${handled.join(', ')}`,
    );
    assert.equal(handled[1], '0#2', 'the released message came back with receiveCount 2');
    assert.deepEqual(await messagesIn(aws.fifoQueueUrl!), { visible: 0, inFlight: 0 });
  });

  test('a handler that throws reports an error event and leaves the message for another receive', async () => {
    const sent = message('high');
    const errors: Error[] = [];
    const counts: number[] = [];
    const feed = startFeed(FAST, [sent], async (delivery) => {
      counts.push(delivery.receiveCount);
      if (delivery.receiveCount === 1) throw new Error('handler exploded');
      return { kind: 'ack' };
    });
    feed.on('error', (error) => errors.push(error));
    await backend.queue.enqueue(sent);
    await waitFor('the second delivery', () => (counts.length === 2 ? true : undefined), { timeoutMs: 15_000, intervalMs: 20 });
    await feed.stop();
    assert.deepEqual(counts, [1, 2]);
    assert.ok(
      errors.some((e) => /handler exploded/.test(e.message)),
      `errors: ${errors.map((e) => e.message).join('; ')}`,
    );
  });

  test('a body that is not a job message is reported as malformed, never deleted, and dead-lettered after 5 receives', async () => {
    const raws = ['not json at all', JSON.stringify({ jobId: 42, priority: 'normal' }), JSON.stringify({ jobId: 'x', priority: 'urgent' })];
    for (const raw of raws) await clients.sqs.send(new SendMessageCommand({ QueueUrl: aws.queueUrls.low, MessageBody: raw }));
    const malformed = new Map<string, number>();
    const feed = startFeed(FAST, [], async () => ({ kind: 'ack' }));
    feed.on('malformed', (raw, error) => {
      assert.ok(error instanceof Error);
      malformed.set(raw, (malformed.get(raw) ?? 0) + 1);
    });
    // Each receive hides them for the feed's 1 s visibility timeout; the sixth receive finds them
    // over the redrive policy's maxReceiveCount of 5 and SQS moves them to the dead-letter queue.
    const dlqUrl = aws.queueUrls.low.replace(/-low$/, '-low-dlq');
    const deadLetters = await waitFor(
      'the dead-letter queue',
      async () => {
        const { visible } = await messagesIn(dlqUrl);
        return visible === raws.length ? visible : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    await feed.stop();
    assert.equal(deadLetters, raws.length);
    assert.deepEqual(await messagesIn(aws.queueUrls.low), { visible: 0, inFlight: 0 });
    for (const raw of raws) assert.equal(malformed.get(raw), 5, `${raw} reported on every receive`);
    const out = await clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10 }));
    assert.deepEqual(new Set(out.Messages?.map((m) => m.Body)), new Set(raws), 'the bodies arrive in the dead-letter queue unchanged');
  });
});
