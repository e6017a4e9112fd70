/**
 * The emulator keeps three promises of the real services that plain moto breaks
 * (test/support/moto-server.py): DynamoDB's that a conditional write is atomic, and ECS's that a
 * RunTask repeated with its clientToken starts nothing new — every suite that proves "launched
 * once" stands on both — and SQS's that a FIFO long poll delivers a message as soon as its group is
 * free, which the ordered-group suites' timing stands on. Plain moto fails each test here.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { ConditionalCheckFailedException, CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ListTasksCommand } from '@aws-sdk/client-ecs';
import { CreateQueueCommand, DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createAwsClients } from '@agent-runner/shared/adapters/aws/aws-clients.ts';
import { EcsLauncher } from '@agent-runner/shared/adapters/aws/ecs-launcher.ts';
import { loadConfig } from '@agent-runner/shared/config/config.ts';
import { ulid } from '@agent-runner/shared/domain/ids.ts';
import { provisionTestAws, skipUnlessAws } from '../../support/aws-test-env.ts';
import { motoEndpoint } from '../../support/moto.ts';

describe('the AWS emulator (moto, as started by the tests)', { skip: Boolean(skipUnlessAws()) }, () => {
  let client: DynamoDBClient;
  let doc: DynamoDBDocumentClient;
  const table = `atomicity-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    client = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: await motoEndpoint(),
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    doc = DynamoDBDocumentClient.from(client);
    await client.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      }),
    );
  });
  afterAll(() => client?.destroy());

  test('racing conditional UpdateItems on one version: exactly one wins, every round', async () => {
    let doubleWins = 0;
    for (let round = 0; round < 40; round++) {
      const id = `item-${round}`;
      await doc.send(new PutCommand({ TableName: table, Item: { id, version: 1, padding: 'x'.repeat(2000) } }));
      const racers = Array.from({ length: 4 }, (_, i) =>
        doc
          .send(
            new UpdateCommand({
              TableName: table,
              Key: { id },
              UpdateExpression: 'SET version = :next, winner = :me',
              ConditionExpression: 'version = :read',
              ExpressionAttributeValues: { ':next': 2, ':read': 1, ':me': i },
            }),
          )
          .then(
            () => 1,
            (error: unknown) => {
              assert.ok(error instanceof ConditionalCheckFailedException, String(error));
              return 0;
            },
          ),
      );
      if ((await Promise.all(racers)).reduce((a, b) => a + b, 0) !== 1) doubleWins++;
    }
    assert.equal(doubleWins, 0, 'rounds without exactly one winner');
  });

  test('RunTask honours its clientToken as ECS does: the same launch asked twice starts one task', async () => {
    const config = loadConfig(await provisionTestAws({ prefix: 'token' }));
    const clients = createAwsClients(config.aws!.region, config.aws!.endpoint);
    try {
      const launcher = new EcsLauncher(clients.ecs, config.aws!.ecs!);
      const request = { jobId: ulid(new Date()), attempt: 1, jobType: 'echo' };
      const [first, again] = await Promise.all([launcher.launch(request), launcher.launch(request)]);
      assert.equal(again.workerRef, first.workerRef);
      const next = await launcher.launch({ ...request, attempt: 2 });
      assert.notEqual(next.workerRef, first.workerRef, 'another attempt is another task');
      const listed = await clients.ecs.send(new ListTasksCommand({ cluster: config.aws!.ecs!.cluster }));
      assert.equal(listed.taskArns?.length, 2);
    } finally {
      clients.destroy();
    }
  });

  test('a FIFO long poll delivers the next message of a group as soon as the one in flight is deleted', async () => {
    const sqs = new SQSClient({
      region: 'us-east-1',
      endpoint: await motoEndpoint(),
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    try {
      const { QueueUrl } = await sqs.send(
        new CreateQueueCommand({ QueueName: `fidelity-${randomUUID().slice(0, 8)}.fifo`, Attributes: { FifoQueue: 'true' } }),
      );
      for (const body of ['first', 'second']) {
        await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body, MessageGroupId: 'g', MessageDeduplicationId: body }));
      }
      const first = (await sqs.send(new ReceiveMessageCommand({ QueueUrl }))).Messages?.[0];
      assert.equal(first?.Body, 'first');
      const started = Date.now();
      // The poll begins while the group is still in flight; the delete frees it a moment later.
      const poll = sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 10 }));
      await new Promise((r) => setTimeout(r, 300));
      await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: first!.ReceiptHandle }));
      const second = (await poll).Messages?.[0];
      assert.equal(second?.Body, 'second');
      assert.ok(Date.now() - started < 3_000, `delivered ${Date.now() - started} ms after the poll began (the wait was 10 s)`);
    } finally {
      sqs.destroy();
    }
  });
});
