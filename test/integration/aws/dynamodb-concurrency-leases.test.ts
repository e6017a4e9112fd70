/**
 * What the counter-based DynamoDB leases add to the contract (test/contract/concurrency-leases):
 * the items they keep, a release that names the held scopes costing one write, and holders left by
 * the former one-item-per-slot design (a deployment upgraded while jobs ran) still given back.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbConcurrencyLeases } from '@agent-runner/shared/adapters/aws/dynamodb-concurrency-leases.ts';
import { provisionTestAws, skipUnlessAws } from '../../support/aws-test-env.ts';

describe('DynamoDB concurrency leases', { skip: Boolean(skipUnlessAws()) }, () => {
  let client: DynamoDBClient;
  let doc: DynamoDBDocumentClient;
  let table: string;
  let leases: DynamoDbConcurrencyLeases;
  const now = new Date('2026-01-01T00:00:00.000Z');

  beforeAll(async () => {
    const env = await provisionTestAws({ prefix: 'leases' });
    client = new DynamoDBClient({ region: env.AWS_REGION!, endpoint: env.AWS_ENDPOINT_URL! });
    doc = DynamoDBDocumentClient.from(client);
    table = env.AGENT_RUNNER_LEASES_TABLE!;
    leases = new DynamoDbConcurrencyLeases(doc, table);
  });
  afterAll(() => client?.destroy());

  const item = async (leaseKey: string) =>
    (await doc.send(new GetCommand({ TableName: table, Key: { leaseKey }, ConsistentRead: true }))).Item;

  test('a holder item names its scopes, and each scope counts its holders', async () => {
    const scope = `s-${randomUUID()}`;
    await leases.acquire('job-a', [{ key: scope, limit: 3 }], now);
    await leases.acquire('job-b', [{ key: scope, limit: 3 }], now);
    assert.equal((await item(`count|${scope}`))?.held, 2);
    assert.deepEqual((await item('holder|job-a'))?.scopes, [scope]);
    await leases.release('job-a', [scope]);
    await leases.release('job-b');
    assert.equal((await item(`count|${scope}`))?.held, 0);
    assert.equal(await item('holder|job-a'), undefined);
  });

  test('a holder of the former design (slot items) is listed and released', async () => {
    const holder = `old-${randomUUID()}`;
    const scope = `s-${randomUUID()}`;
    const slot = `slot|${scope}|3`;
    await doc.send(new PutCommand({ TableName: table, Item: { leaseKey: slot, holder, acquiredAt: now.toISOString() } }));
    await doc.send(
      new PutCommand({ TableName: table, Item: { leaseKey: `holder|${holder}`, slots: [slot], acquiredAt: now.toISOString() } }),
    );
    assert.deepEqual(
      (await leases.list()).filter((l) => l.holder === holder),
      [{ scope, holder, acquiredAt: now.toISOString() }],
    );
    await leases.release(holder, ['global']);
    assert.equal(await item(slot), undefined, 'its slot item is gone');
    assert.equal(await item(`holder|${holder}`), undefined, 'and its holder item');
  });
});
