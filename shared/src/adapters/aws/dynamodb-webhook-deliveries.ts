import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConflictError, NotFoundError, UnavailableError } from '../../domain/errors.ts';
import type { WebhookAttemptOutcome, WebhookDelivery, WebhookSubjectKind } from '../../domain/webhook-delivery.ts';
import type { WebhookDeliveryQueue, WebhookDeliveryStore } from '../../ports/webhook-deliveries.ts';
import { subjectKey, WEBHOOK_DELIVERIES_TABLE, webhookDeliveryFromItem, webhookDeliveryItem } from './webhook-deliveries-table.ts';

/**
 * The webhook outbox on DynamoDB: one item per delivery, each change a Put conditioned on the
 * version it read. `queue` (when set) is told about a delivery made due again by `retryNow`, so a
 * resend goes out at once rather than at the next sweep.
 */
export class DynamoDbWebhookDeliveries implements WebhookDeliveryStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly queue: WebhookDeliveryQueue | null;

  constructor(doc: DynamoDBDocumentClient, table: string, queue: WebhookDeliveryQueue | null) {
    this.doc = doc;
    this.table = table;
    this.queue = queue;
  }

  async listBySubject(kind: WebhookSubjectKind, subjectId: string): Promise<WebhookDelivery[]> {
    const index = WEBHOOK_DELIVERIES_TABLE.subjectIndex;
    const ids: string[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.call('listBySubject', () =>
        this.doc.send(
          new QueryCommand({
            TableName: this.table,
            IndexName: index.name,
            KeyConditionExpression: '#pk = :pk',
            ExpressionAttributeNames: { '#pk': index.partitionKey },
            ExpressionAttributeValues: { ':pk': subjectKey(kind, subjectId) },
            ExclusiveStartKey: start,
          }),
        ),
      );
      for (const item of out.Items ?? []) ids.push(String(item.deliveryId));
      start = out.LastEvaluatedKey;
    } while (start);
    return this.getMany(ids);
  }

  async get(deliveryId: string): Promise<WebhookDelivery | null> {
    const out = await this.call('get', () =>
      this.doc.send(new GetCommand({ TableName: this.table, Key: { deliveryId }, ConsistentRead: true })),
    );
    return out.Item ? webhookDeliveryFromItem(out.Item) : null;
  }

  async claim(deliveryId: string, expectVersion: number, leaseUntil: Date): Promise<WebhookDelivery> {
    const current = await this.mustGet(deliveryId);
    if (current.status !== 'PENDING') throw new ConflictError(`webhook delivery ${deliveryId} is ${current.status}, not PENDING`);
    return this.put(current, expectVersion, { nextAttemptAt: leaseUntil.toISOString() });
  }

  async recordAttempt(deliveryId: string, expectVersion: number, outcome: WebhookAttemptOutcome): Promise<WebhookDelivery> {
    const current = await this.mustGet(deliveryId);
    return this.put(current, expectVersion, {
      status: outcome.status,
      nextAttemptAt: outcome.nextAttemptAt,
      deliveredAt: outcome.deliveredAt,
      attempts: [...current.attempts, outcome.attempt],
    });
  }

  async listDue(dueBy: Date, limit: number): Promise<WebhookDelivery[]> {
    const index = WEBHOOK_DELIVERIES_TABLE.dueIndex;
    const out = await this.call('listDue', () =>
      this.doc.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: index.name,
          KeyConditionExpression: '#pk = :pk AND #sk <= :due',
          ExpressionAttributeNames: { '#pk': index.partitionKey, '#sk': index.sortKey },
          ExpressionAttributeValues: { ':pk': index.shard, ':due': dueBy.toISOString() },
          ScanIndexForward: true,
          Limit: Math.max(1, Math.floor(limit)),
        }),
      ),
    );
    // The index is eventually consistent; the items are not: keep what is still due.
    const due = await this.getMany((out.Items ?? []).map((i) => String(i.deliveryId)));
    return due.filter((d) => d.status === 'PENDING' && d.nextAttemptAt !== null && d.nextAttemptAt <= dueBy.toISOString());
  }

  async retryNow(deliveryId: string, now: Date): Promise<WebhookDelivery> {
    const current = await this.mustGet(deliveryId);
    const written = await this.put(current, current.version, { status: 'PENDING', nextAttemptAt: now.toISOString() });
    // Best effort: a lost message leaves the delivery to the sweep of overdue deliveries.
    await this.queue?.send(deliveryId, 0).catch(() => undefined);
    return written;
  }

  private async mustGet(deliveryId: string): Promise<WebhookDelivery> {
    const current = await this.get(deliveryId);
    if (!current) throw new NotFoundError(`webhook delivery ${deliveryId} not found`);
    return current;
  }

  private async put(current: WebhookDelivery, expectVersion: number, changes: Partial<WebhookDelivery>): Promise<WebhookDelivery> {
    const next: WebhookDelivery = { ...current, ...changes, version: expectVersion + 1 };
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: webhookDeliveryItem(next),
          ConditionExpression: '#v = :v',
          ExpressionAttributeNames: { '#v': 'version' },
          ExpressionAttributeValues: { ':v': expectVersion },
        }),
      );
      return next;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new ConflictError(`webhook delivery ${current.deliveryId} is no longer at version ${expectVersion}`, { cause: error });
      }
      throw unavailable('write', error);
    }
  }

  /** Consistent reads by id, in the order given. */
  private async getMany(ids: string[]): Promise<WebhookDelivery[]> {
    const found = new Map<string, WebhookDelivery>();
    for (let i = 0; i < ids.length; i += 100) {
      let keys: Record<string, unknown>[] = ids.slice(i, i + 100).map((deliveryId) => ({ deliveryId }));
      while (keys.length > 0) {
        const request = { [this.table]: { Keys: keys, ConsistentRead: true } };
        const out = await this.call('get', () => this.doc.send(new BatchGetCommand({ RequestItems: request })));
        for (const item of out.Responses?.[this.table] ?? []) found.set(String(item.deliveryId), webhookDeliveryFromItem(item));
        keys = (out.UnprocessedKeys?.[this.table]?.Keys as Record<string, unknown>[] | undefined) ?? [];
      }
    }
    return ids.flatMap((id) => found.get(id) ?? []);
  }

  private async call<T>(what: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw unavailable(what, error);
    }
  }
}

function unavailable(what: string, error: unknown): Error {
  if (error instanceof ConflictError || error instanceof NotFoundError || error instanceof UnavailableError) return error;
  return new UnavailableError(`DynamoDB webhook deliveries ${what} failed: ${(error as Error).message}`, { cause: error });
}
