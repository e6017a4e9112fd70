import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConflictError, NotFoundError, UnavailableError } from '../../domain/errors.ts';
import type { WebhookEvent } from '../../domain/webhook-target.ts';
import type { WebhookEndpoint, WebhookEndpointStore } from '../../ports/webhook-endpoints.ts';
import { WEBHOOK_ENDPOINTS_TABLE } from './webhook-endpoints-table.ts';

const { partitionKey, sortKey, byIdIndex } = WEBHOOK_ENDPOINTS_TABLE;

/**
 * Tenants' default webhook endpoints in their own DynamoDB table, keyed by tenant and endpoint id:
 * listing a tenant's endpoints (every submit does) is one strongly consistent Query. Reaching one by
 * its id alone goes through a keys-only index, then reads the item consistently.
 */
export class DynamoDbWebhookEndpointStore implements WebhookEndpointStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly table: string;

  constructor(doc: DynamoDBDocumentClient, table: string) {
    this.doc = doc;
    this.table = table;
  }

  async add(endpoint: WebhookEndpoint): Promise<void> {
    // Ids are random (webhook-endpoint-record.ts); the id index makes a duplicate under another tenant findable.
    if ((await this.tenantOf(endpoint.endpointId)) !== null)
      throw new ConflictError(`webhook endpoint ${endpoint.endpointId} already exists`);
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...endpoint, events: [...endpoint.events] },
          ConditionExpression: 'attribute_not_exists(#id)',
          ExpressionAttributeNames: { '#id': sortKey },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        throw new ConflictError(`webhook endpoint ${endpoint.endpointId} already exists`, { cause: error });
      throw unavailable('add', error);
    }
  }

  async list(tenant: string): Promise<WebhookEndpoint[]> {
    const endpoints: WebhookEndpoint[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.call('list', () =>
        this.doc.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: '#t = :t',
            ExpressionAttributeNames: { '#t': partitionKey },
            ExpressionAttributeValues: { ':t': tenant },
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        ),
      );
      for (const item of out.Items ?? []) endpoints.push(fromItem(item));
      start = out.LastEvaluatedKey;
    } while (start);
    return endpoints.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.endpointId.localeCompare(b.endpointId));
  }

  async get(endpointId: string): Promise<WebhookEndpoint | null> {
    const tenant = await this.tenantOf(endpointId);
    if (tenant === null) return null;
    const out = await this.call('get', () =>
      this.doc.send(
        new GetCommand({ TableName: this.table, Key: { [partitionKey]: tenant, [sortKey]: endpointId }, ConsistentRead: true }),
      ),
    );
    return out.Item ? fromItem(out.Item) : null;
  }

  async remove(tenant: string, endpointId: string): Promise<void> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { [partitionKey]: tenant, [sortKey]: endpointId },
          ConditionExpression: 'attribute_exists(#id)',
          ExpressionAttributeNames: { '#id': sortKey },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        throw new NotFoundError(`tenant ${tenant} has no webhook endpoint ${endpointId}`, { cause: error });
      throw unavailable('remove', error);
    }
  }

  async disable(endpointId: string, reason: string, now: Date): Promise<void> {
    const tenant = await this.tenantOf(endpointId);
    // Removed meanwhile: nothing left to disable.
    if (tenant === null) return;
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { [partitionKey]: tenant, [sortKey]: endpointId },
          UpdateExpression: 'SET disabledAt = :now, disabledReason = :reason',
          // Records are written whole, so an enabled endpoint has `disabledAt` as a NULL attribute.
          ConditionExpression: 'attribute_exists(#id) AND (attribute_not_exists(disabledAt) OR attribute_type(disabledAt, :nullType))',
          ExpressionAttributeNames: { '#id': sortKey },
          ExpressionAttributeValues: { ':now': now.toISOString(), ':reason': reason, ':nullType': 'NULL' },
        }),
      );
    } catch (error) {
      // Disabled before (its first reason stands), or removed since.
      if (!(error instanceof ConditionalCheckFailedException)) throw unavailable('disable', error);
    }
  }

  /** The tenant an endpoint id belongs to, from the id index (eventually consistent: ids never move). */
  private async tenantOf(endpointId: string): Promise<string | null> {
    const out = await this.call('find', () =>
      this.doc.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: byIdIndex.name,
          KeyConditionExpression: '#id = :id',
          ExpressionAttributeNames: { '#id': byIdIndex.partitionKey },
          ExpressionAttributeValues: { ':id': endpointId },
          Limit: 1,
        }),
      ),
    );
    const tenant = out.Items?.[0]?.[partitionKey];
    return typeof tenant === 'string' ? tenant : null;
  }

  private async call<T>(what: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw unavailable(what, error);
    }
  }
}

function fromItem(item: Record<string, unknown>): WebhookEndpoint {
  return {
    endpointId: String(item.endpointId),
    tenant: String(item.tenant),
    url: String(item.url),
    events: (item.events as WebhookEvent[] | undefined) ?? [],
    createdAt: String(item.createdAt),
    disabledAt: (item.disabledAt as string | null | undefined) ?? null,
    disabledReason: (item.disabledReason as string | null | undefined) ?? null,
  };
}

function unavailable(what: string, error: unknown): Error {
  if (error instanceof ConflictError || error instanceof NotFoundError || error instanceof UnavailableError) return error;
  const requestId = (error as { $metadata?: { requestId?: string } }).$metadata?.requestId;
  return new UnavailableError(
    `DynamoDB webhook endpoints ${what} failed${requestId ? ` (request ${requestId})` : ''}: ${(error as Error).message}`,
    { cause: error },
  );
}
