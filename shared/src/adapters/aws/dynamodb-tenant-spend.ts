import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { UnavailableError } from '../../domain/errors.ts';
import { roundUsd } from '../../domain/job-usage.ts';
import { SPEND_RETENTION_DAYS, type TenantSpend } from '../../ports/tenant-spend.ts';
import { TENANTS_TABLE } from './tenants-table.ts';

/**
 * Daily spend per tenant on DynamoDB: a `spend#<day>` item in the tenants table, added to with
 * UpdateItem ADD (atomic against other workers, no read), which also answers the new total.
 * DynamoDB numbers are decimal, so many small adds do not drift as floating-point sums would.
 */
export class DynamoDbTenantSpend implements TenantSpend {
  private readonly doc: DynamoDBDocumentClient;
  private readonly table: string;

  constructor(doc: DynamoDBDocumentClient, table: string) {
    this.doc = doc;
    this.table = table;
  }

  async add(tenant: string, day: string, usd: number): Promise<number> {
    const expiresAt = Math.floor(Date.parse(`${day}T00:00:00Z`) / 1000) + SPEND_RETENTION_DAYS * 86_400;
    const out = await this.call('add', () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keyOf(tenant, day),
          UpdateExpression: 'ADD #usd :usd SET #ttl = :ttl',
          ExpressionAttributeNames: { '#usd': 'usd', '#ttl': TENANTS_TABLE.ttlAttribute },
          ExpressionAttributeValues: { ':usd': usd, ':ttl': expiresAt },
          ReturnValues: 'UPDATED_NEW',
        }),
      ),
    );
    return roundUsd(Number(out.Attributes?.usd ?? usd));
  }

  async get(tenant: string, day: string): Promise<number> {
    const out = await this.call('get', () =>
      this.doc.send(new GetCommand({ TableName: this.table, Key: keyOf(tenant, day), ConsistentRead: true })),
    );
    return roundUsd(Number(out.Item?.usd ?? 0));
  }

  private async call<T>(what: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw new UnavailableError(`DynamoDB tenant spend ${what} failed: ${(error as Error).message}`, { cause: error });
    }
  }
}

function keyOf(tenant: string, day: string): Record<string, string> {
  return { [TENANTS_TABLE.partitionKey]: tenant, [TENANTS_TABLE.sortKey]: TENANTS_TABLE.spendEntry(day) };
}
