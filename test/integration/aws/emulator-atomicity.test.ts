/**
 * The emulator keeps DynamoDB's promise that a conditional write is atomic (test/support/
 * moto-server.py): every suite that proves "launched once" stands on it. Plain moto breaks it for
 * UpdateItem in about one round in ten with two racers, which this would catch.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { ConditionalCheckFailedException, CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { skipUnlessAws } from '../../support/aws-test-env.ts';
import { motoEndpoint } from '../../support/moto.ts';

describe('the DynamoDB emulator (moto, as started by the tests)', { skip: skipUnlessAws() }, () => {
  let client: DynamoDBClient;
  let doc: DynamoDBDocumentClient;
  const table = `atomicity-${randomUUID().slice(0, 8)}`;

  before(async () => {
    client = new DynamoDBClient({ region: 'us-east-1', endpoint: await motoEndpoint(), credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    doc = DynamoDBDocumentClient.from(client);
    await client.send(
      new CreateTableCommand({ TableName: table, BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] }),
    );
  });
  after(() => client?.destroy());

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
});
