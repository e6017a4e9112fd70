import { randomInt } from 'node:crypto';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DeleteCommand,
  GetCommand,
  ScanCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { LeaseScope } from '../../domain/concurrency-scopes.ts';
import type { AcquireResult, ConcurrencyLeases, HeldLease } from '../../ports/concurrency-leases.ts';

/** BatchGetItem reads at most 100 keys per call (DynamoDB API reference). */
const BATCH_GET_MAX = 100;
const FIRST_PROBE = 8;
/** Transactions lost to a racing dispatcher are retried this often before the round gives up. */
const CONTENTION_RETRIES = 4;

interface HolderItem {
  leaseKey: string;
  slots: string[];
  acquiredAt: string;
}

/**
 * Concurrency leases in DynamoDB: a scope with limit N has N slot items (`slot|<scope>|<i>`), each
 * taken by a holder with a conditional put, all of a job's slots and its holder record
 * (`holder|<job>`) in one TransactWriteItems — all or nothing. Lease items rather than a shared
 * counter: conditional counter updates were seen to overshoot under concurrency in the emulator,
 * and an item per slot lets the slots of a crashed holder be found and released.
 */
export class DynamoDbConcurrencyLeases implements ConcurrencyLeases {
  private readonly doc: DynamoDBDocumentClient;
  private readonly table: string;

  constructor(doc: DynamoDBDocumentClient, table: string) {
    this.doc = doc;
    this.table = table;
  }

  async acquire(holder: string, scopes: readonly LeaseScope[], now: Date): Promise<AcquireResult> {
    for (let round = 0; ; round++) {
      if (await this.holderRecord(holder)) return { acquired: true };
      const chosen: string[] = [];
      const full: string[] = [];
      for (const scope of scopes) {
        const slot = await this.freeSlot(scope);
        if (slot === null) full.push(scope.key);
        else chosen.push(slot);
      }
      if (full.length > 0) return { acquired: false, fullScopes: full };
      const acquiredAt = now.toISOString();
      try {
        await this.doc.send(
          new TransactWriteCommand({
            TransactItems: [
              ...chosen.map((leaseKey) => ({
                Put: {
                  TableName: this.table,
                  Item: { leaseKey, holder, acquiredAt },
                  ConditionExpression: 'attribute_not_exists(leaseKey)',
                },
              })),
              {
                Put: {
                  TableName: this.table,
                  Item: { leaseKey: `holder|${holder}`, slots: chosen, acquiredAt } satisfies HolderItem,
                  ConditionExpression: 'attribute_not_exists(leaseKey)',
                },
              },
            ],
          }),
        );
        return { acquired: true };
      } catch (error) {
        // Another dispatcher took one of the slots (or this holder) between our read and write.
        if (!(error instanceof TransactionCanceledException)) throw error;
        if (round >= CONTENTION_RETRIES) return { acquired: false, fullScopes: [] };
      }
    }
  }

  async release(holder: string): Promise<void> {
    const record = await this.holderRecord(holder);
    if (!record) return;
    for (const leaseKey of record.slots) {
      try {
        await this.doc.send(
          new DeleteCommand({
            TableName: this.table,
            Key: { leaseKey },
            ConditionExpression: 'holder = :holder',
            ExpressionAttributeValues: { ':holder': holder },
          }),
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    // Last, so a release interrupted half-way can be finished by the next one.
    await this.doc.send(new DeleteCommand({ TableName: this.table, Key: { leaseKey: `holder|${holder}` } }));
  }

  async list(): Promise<HeldLease[]> {
    const held: HeldLease[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new ScanCommand({
          TableName: this.table,
          ConsistentRead: true,
          FilterExpression: 'begins_with(leaseKey, :slot)',
          ExpressionAttributeValues: { ':slot': 'slot|' },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        const key = String(item.leaseKey);
        held.push({
          scope: key.slice('slot|'.length, key.lastIndexOf('|')),
          holder: String(item.holder),
          acquiredAt: String(item.acquiredAt),
        });
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return held;
  }

  private async holderRecord(holder: string): Promise<HolderItem | null> {
    const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: { leaseKey: `holder|${holder}` }, ConsistentRead: true }));
    return (out.Item as HolderItem | undefined) ?? null;
  }

  /** A free slot of the scope, probing from a random offset so racing dispatchers spread out. */
  private async freeSlot(scope: LeaseScope): Promise<string | null> {
    if (scope.limit <= 0) return null;
    const offset = randomInt(scope.limit);
    const keys = Array.from({ length: scope.limit }, (_, i) => `slot|${scope.key}|${(offset + i) % scope.limit}`);
    // A small first probe: with a limit far from reached (the usual case) it finds a free slot in
    // one cheap read; only a nearly full scope is read 100 keys at a time.
    for (let i = 0, size = FIRST_PROBE; i < keys.length; i += size, size = BATCH_GET_MAX) {
      const chunk = keys.slice(i, i + size);
      const taken = new Set<string>();
      let request: Record<string, { Keys: Record<string, string>[]; ConsistentRead: boolean }> | undefined = {
        [this.table]: { Keys: chunk.map((leaseKey) => ({ leaseKey })), ConsistentRead: true },
      };
      while (request && Object.keys(request).length > 0) {
        const out = await this.doc.send(new BatchGetCommand({ RequestItems: request }));
        for (const item of out.Responses?.[this.table] ?? []) taken.add(String(item.leaseKey));
        request = out.UnprocessedKeys as typeof request;
      }
      const free = chunk.find((k) => !taken.has(k));
      if (free) return free;
    }
    return null;
  }
}
