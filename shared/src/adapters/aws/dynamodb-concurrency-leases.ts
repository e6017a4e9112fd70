import { setTimeout as sleep } from 'node:timers/promises';
import { randomInt } from 'node:crypto';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, ScanCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { LeaseScope } from '../../domain/concurrency-scopes.ts';
import type { AcquireResult, ConcurrencyLeases, HeldLease } from '../../ports/concurrency-leases.ts';

/** Transactions lost to a racing writer of the same counter are retried this often before giving up. */
const CONTENTION_RETRIES = 4;

interface HolderItem {
  leaseKey: string;
  /** The scope keys whose counters this holder counts in. */
  scopes: string[];
  acquiredAt: string;
  /** Written by the former design (one item per slot) instead of `scopes`: the slot items it holds. */
  slots?: string[];
}

const holderKey = (holder: string) => `holder|${holder}`;
const counterKey = (scope: string) => `count|${scope}`;

/**
 * Concurrency leases in DynamoDB: one counter item per scope (`count|<scope>`, attribute `held`)
 * and one holder item per job (`holder|<job>`, the scopes it counts in). Acquiring is one
 * TransactWriteItems and no read: put the holder item if absent, and add 1 to each scope's counter
 * on condition that it is below the limit. Releasing deletes the holder item on condition it
 * exists and takes 1 off each of its counters, in one transaction. So a counter always equals the
 * number of holder items that name its scope — no increment without a new holder, no decrement
 * without removing one — and a crashed holder's slots can still be found (its holder item) and
 * given back exactly once. (The former design had one item per slot and read up to 100 slot keys
 * to find a free one before each acquire: three calls or more per acquire, three per release.)
 *
 * Hot items: every launch and every job end writes the `global` counter, and each job's type,
 * tenant or ordering counter when limited. At 1,000 launches a minute that is ~17 acquires and ~17
 * releases a second on `count|global`, each a transactional write of a ~100-byte item (2 WCU):
 * ~70 WCU/s, well under DynamoDB's 1,000 WCU/s per partition, so one item per scope suffices up to
 * about 15,000 launches a minute; nothing reads the counters in a loop (the scheduler re-checks
 * capacity by trying one acquire per full scope per round, not one per waiting job). Transactions
 * on one item do conflict when they overlap (TransactionConflict); they are retried with jitter.
 * Beyond that rate the global limit would have to be split into shards, each with its part of
 * the limit.
 */
export class DynamoDbConcurrencyLeases implements ConcurrencyLeases {
  private readonly doc: DynamoDBDocumentClient;
  private readonly table: string;

  constructor(doc: DynamoDBDocumentClient, table: string) {
    this.doc = doc;
    this.table = table;
  }

  async acquire(holder: string, scopes: readonly LeaseScope[], now: Date): Promise<AcquireResult> {
    const closed = scopes.filter((s) => s.limit <= 0).map((s) => s.key);
    if (closed.length > 0) return { acquired: false, fullScopes: closed };
    const item: HolderItem = { leaseKey: holderKey(holder), scopes: scopes.map((s) => s.key), acquiredAt: now.toISOString() };
    for (let round = 0; ; round++) {
      try {
        await this.doc.send(
          new TransactWriteCommand({
            TransactItems: [
              { Put: { TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(leaseKey)' } },
              ...scopes.map((scope) => ({
                Update: {
                  TableName: this.table,
                  Key: { leaseKey: counterKey(scope.key) },
                  UpdateExpression: 'ADD held :one',
                  ConditionExpression: 'attribute_not_exists(held) OR held < :limit',
                  ExpressionAttributeValues: { ':one': 1, ':limit': scope.limit },
                },
              })),
            ],
          }),
        );
        return { acquired: true };
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const reasons = error.CancellationReasons ?? [];
        // Acquiring is idempotent per holder: its item exists, so it holds its slots already.
        if (reasons[0]?.Code === 'ConditionalCheckFailed') return { acquired: true };
        const full = scopes.filter((_, i) => reasons[i + 1]?.Code === 'ConditionalCheckFailed').map((s) => s.key);
        if (full.length > 0) return { acquired: false, fullScopes: full };
        // A racing transaction on the same counter (TransactionConflict): try again shortly.
        if (round >= CONTENTION_RETRIES) return { acquired: false, fullScopes: [] };
        await sleep(randomInt(5, 20 * (round + 1)));
      }
    }
  }

  async release(holder: string, expectedScopes?: readonly string[]): Promise<void> {
    // The caller's word for what is held saves the read; the write checks it (`scopes = :scopes`).
    if (expectedScopes && (await this.releaseHolding(holder, [...expectedScopes], true)) === 'released') return;
    for (let round = 0; ; round++) {
      const out = await this.doc.send(
        new GetCommand({ TableName: this.table, Key: { leaseKey: holderKey(holder) }, ConsistentRead: true }),
      );
      const record = out.Item as HolderItem | undefined;
      if (!record) return;
      if (!record.scopes) return await this.releaseFormerSlots(record);
      const outcome = await this.releaseHolding(holder, record.scopes, false);
      // Released meanwhile by someone else (the reaper, a second call): nothing left to give back.
      if (outcome !== 'conflict') return;
      if (round >= CONTENTION_RETRIES) throw new Error(`could not release the slots of ${holder}: transactions kept conflicting`);
      await sleep(randomInt(5, 20 * (round + 1)));
    }
  }

  /**
   * A holder taken before the counters existed (a deployment upgraded while jobs ran): its slot
   * items are deleted as the former design did, so its slots are given back and nothing is counted.
   */
  private async releaseFormerSlots(record: HolderItem): Promise<void> {
    for (const leaseKey of record.slots ?? []) {
      await this.doc.send(new DeleteCommand({ TableName: this.table, Key: { leaseKey } }));
    }
    await this.doc.send(new DeleteCommand({ TableName: this.table, Key: { leaseKey: record.leaseKey } }));
  }

  /**
   * One transaction: delete the holder item (it must exist, and with `checkScopes` name exactly
   * `scopes`) and take 1 off each of those counters.
   */
  private async releaseHolding(
    holder: string,
    scopes: string[],
    checkScopes: boolean,
  ): Promise<'released' | 'not-as-expected' | 'conflict'> {
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Delete: {
                TableName: this.table,
                Key: { leaseKey: holderKey(holder) },
                ConditionExpression: checkScopes ? 'attribute_exists(leaseKey) AND scopes = :scopes' : 'attribute_exists(leaseKey)',
                ...(checkScopes ? { ExpressionAttributeValues: { ':scopes': scopes } } : {}),
              },
            },
            ...scopes.map((scope) => ({
              Update: {
                TableName: this.table,
                Key: { leaseKey: counterKey(scope) },
                UpdateExpression: 'ADD held :minusOne',
                ExpressionAttributeValues: { ':minusOne': -1 },
              },
            })),
          ],
        }),
      );
      return 'released';
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      return error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed' ? 'not-as-expected' : 'conflict';
    }
  }

  async list(): Promise<HeldLease[]> {
    const held: HeldLease[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new ScanCommand({
          TableName: this.table,
          ConsistentRead: true,
          FilterExpression: 'begins_with(leaseKey, :holder)',
          ExpressionAttributeValues: { ':holder': 'holder|' },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of (page.Items ?? []) as HolderItem[]) {
        const holder = item.leaseKey.slice('holder|'.length);
        const scopes = item.scopes ?? (item.slots ?? []).map((slot) => slot.slice('slot|'.length, slot.lastIndexOf('|')));
        for (const scope of scopes) held.push({ scope, holder, acquiredAt: item.acquiredAt });
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return held;
  }
}
