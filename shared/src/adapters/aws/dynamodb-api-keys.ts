import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConflictError, NotFoundError, UnavailableError } from '../../domain/errors.ts';
import type { ApiKeyListQuery, ApiKeyRecord, ApiKeyStore } from '../../ports/api-keys.ts';

/** Records are written whole, so an unrevoked key has `revokedAt` as a NULL attribute. */
const NOT_REVOKED = '(attribute_not_exists(revokedAt) OR attribute_type(revokedAt, :nullType))';

/**
 * API keys in their own DynamoDB table, keyed by `keyId` (the key's public part), holding the key's
 * SHA-256, never the key. Listing scans: a deployment has tens of keys, not millions, and listing
 * is an operator's command, never on a request's path.
 */
export class DynamoDbApiKeyStore implements ApiKeyStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly table: string;

  constructor(doc: DynamoDBDocumentClient, table: string) {
    this.doc = doc;
    this.table = table;
  }

  async create(record: ApiKeyRecord): Promise<void> {
    try {
      await this.doc.send(
        new PutCommand({ TableName: this.table, Item: { ...record }, ConditionExpression: 'attribute_not_exists(keyId)' }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        throw new ConflictError(`API key ${record.keyId} already exists`, { cause: error });
      throw unavailable('create', error);
    }
  }

  async get(keyId: string): Promise<ApiKeyRecord | null> {
    const out = await this.call('get', () =>
      this.doc.send(new GetCommand({ TableName: this.table, Key: { keyId }, ConsistentRead: true })),
    );
    return out.Item ? fromItem(out.Item) : null;
  }

  async list(query: ApiKeyListQuery): Promise<ApiKeyRecord[]> {
    const records: ApiKeyRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.call('list', () =>
        this.doc.send(
          new ScanCommand({
            TableName: this.table,
            ConsistentRead: true,
            ExclusiveStartKey: start,
            ...(query.tenant !== undefined
              ? {
                  FilterExpression: '#t = :t',
                  ExpressionAttributeNames: { '#t': 'tenant' },
                  ExpressionAttributeValues: { ':t': query.tenant },
                }
              : {}),
          }),
        ),
      );
      for (const item of out.Items ?? []) records.push(fromItem(item));
      start = out.LastEvaluatedKey;
    } while (start);
    return records.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.keyId.localeCompare(b.keyId));
  }

  async revoke(keyId: string, now: Date): Promise<ApiKeyRecord> {
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { keyId },
          UpdateExpression: 'SET revokedAt = :now',
          ConditionExpression: `attribute_exists(keyId) AND ${NOT_REVOKED}`,
          ExpressionAttributeValues: { ':now': now.toISOString(), ':nullType': 'NULL' },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return fromItem(out.Attributes ?? {});
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw unavailable('revoke', error);
    }
    // Absent, or revoked before: the first revocation's time stands.
    const record = await this.get(keyId);
    if (!record) throw new NotFoundError(`API key ${keyId} not found`);
    return record;
  }

  async recordUse(keyId: string, at: Date): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { keyId },
          UpdateExpression: 'SET lastUsedAt = :at',
          ConditionExpression: `attribute_exists(keyId) AND ${NOT_REVOKED} AND (attribute_type(lastUsedAt, :nullType) OR lastUsedAt < :at)`,
          ExpressionAttributeValues: { ':at': at.toISOString(), ':nullType': 'NULL' },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw unavailable('recordUse', error);
    }
  }

  private async call<T>(what: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw unavailable(what, error);
    }
  }
}

function fromItem(item: Record<string, unknown>): ApiKeyRecord {
  return {
    keyId: String(item.keyId),
    tenant: String(item.tenant),
    name: (item.name as string | null | undefined) ?? null,
    scopes: (item.scopes as ApiKeyRecord['scopes'] | undefined) ?? [],
    hash: String(item.hash),
    createdAt: String(item.createdAt),
    lastUsedAt: (item.lastUsedAt as string | null | undefined) ?? null,
    revokedAt: (item.revokedAt as string | null | undefined) ?? null,
  };
}

function unavailable(what: string, error: unknown): Error {
  if (error instanceof ConflictError || error instanceof NotFoundError || error instanceof UnavailableError) return error;
  const requestId = (error as { $metadata?: { requestId?: string } }).$metadata?.requestId;
  return new UnavailableError(
    `DynamoDB API keys ${what} failed${requestId ? ` (request ${requestId})` : ''}: ${(error as Error).message}`,
    { cause: error },
  );
}
