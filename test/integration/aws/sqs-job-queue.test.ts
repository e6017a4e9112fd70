/**
 * SQS specifics of the producer side that the shared JobQueue contract does not reach: FIFO routing
 * and deduplication, queues shared by several priorities, and errors when SQS cannot be reached.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createAwsClients, type AwsClients } from '@agent-runner/shared/adapters/aws/aws-clients.ts';
import { SqsJobQueue } from '@agent-runner/shared/adapters/aws/sqs-job-queue.ts';
import { loadConfig, type AwsConfig } from '@agent-runner/shared/config/config.ts';
import { UnavailableError } from '@agent-runner/shared/domain/errors.ts';
import { ulid } from '@agent-runner/shared/domain/ids.ts';
import { PRIORITIES, type JobMessage } from '@agent-runner/shared/domain/job.ts';
import { provisionTestAws, skipUnlessAws } from '../../support/aws-test-env.ts';

describe('SqsJobQueue on moto', { skip: Boolean(skipUnlessAws()) }, () => {
  let aws: AwsConfig;
  let clients: AwsClients;
  let queue: SqsJobQueue;

  beforeAll(async () => {
    aws = loadConfig(await provisionTestAws({ prefix: 'queue' })).aws!;
    clients = createAwsClients(aws.region, aws.endpoint);
    queue = new SqsJobQueue(clients.sqs, { byPriority: aws.queueUrls, fifo: aws.fifoQueueUrl });
  });
  afterAll(() => clients?.destroy());

  async function drain(url: string): Promise<{ body: JobMessage; groupId: string | undefined; dedupId: string | undefined }[]> {
    const out = await clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 30,
        MessageSystemAttributeNames: ['MessageGroupId', 'MessageDeduplicationId'],
      }),
    );
    return (out.Messages ?? []).map((m) => ({
      body: JSON.parse(m.Body ?? 'null') as JobMessage,
      groupId: m.Attributes?.MessageGroupId,
      dedupId: m.Attributes?.MessageDeduplicationId,
    }));
  }

  test('a message with an ordering key goes to the FIFO queue, grouped by the key; a per-message delay is left out there', async () => {
    const key = `tenant-${randomUUID()}`;
    const sent: JobMessage = { jobId: ulid(new Date()), priority: 'high', orderingKey: key };
    // FIFO queues refuse DelaySeconds per message: sending it would fail the enqueue.
    await queue.enqueue(sent, { delaySeconds: 30 });
    const [received, ...rest] = await drain(aws.fifoQueueUrl!);
    assert.deepEqual(received, { body: sent, groupId: key, dedupId: sent.jobId });
    assert.equal(rest.length, 0);
    assert.equal((await drain(aws.queueUrls.high)).length, 0, 'not on the priority queue');
  });

  test('FIFO deduplication drops a second send of one job, but not a retry with its own deduplication id', async () => {
    const key = `tenant-${randomUUID()}`;
    const sent: JobMessage = { jobId: ulid(new Date()), priority: 'normal', orderingKey: key };
    await queue.enqueue(sent);
    await queue.enqueue(sent);
    await queue.enqueue(sent, { deduplicationId: `${sent.jobId}:2` });
    const received = await drain(aws.fifoQueueUrl!);
    assert.deepEqual(
      received.map((r) => r.dedupId),
      [sent.jobId, `${sent.jobId}:2`],
    );
  });

  test('a queue shared by several priorities is counted once', async () => {
    const shared = new SqsJobQueue(clients.sqs, {
      byPriority: { critical: aws.queueUrls.low, high: aws.queueUrls.low, normal: aws.queueUrls.low, low: aws.queueUrls.low },
      fifo: null,
    });
    for (let i = 0; i < 3; i++) await shared.enqueue({ jobId: ulid(new Date()), priority: PRIORITIES[i]!, orderingKey: null });
    const depth = await shared.depth();
    const total = Object.values(depth).reduce((sum, d) => sum + d.waiting + d.inFlight, 0);
    assert.equal(total, 3);
    assert.equal(depth.critical.waiting, 3, 'shown under the first priority that uses it');
    assert.equal((await drain(aws.queueUrls.low)).length, 3);
  });

  test('an unreachable SQS is UnavailableError with the SDK error as cause', async () => {
    // A closed port on loopback: the connection is refused at once. One attempt, no SDK retries.
    const unreachable = new SQSClient({
      region: aws.region,
      endpoint: 'http://127.0.0.1:9',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
    try {
      const down = new SqsJobQueue(unreachable, { byPriority: aws.queueUrls, fifo: aws.fifoQueueUrl });
      for (const call of [() => down.enqueue({ jobId: ulid(new Date()), priority: 'normal', orderingKey: null }), () => down.depth()]) {
        await assert.rejects(call(), (error: unknown) => {
          assert.ok(error instanceof UnavailableError, String(error));
          assert.ok(error.cause instanceof Error);
          return true;
        });
      }
    } finally {
      unreachable.destroy();
    }
  });
});
