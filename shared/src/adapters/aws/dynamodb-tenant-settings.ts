import { GetCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { UnavailableError } from '../../domain/errors.ts';
import { QUOTA_NAMES, type QuotaChanges, type TenantSettings } from '../../domain/tenant-quotas.ts';
import type { TenantSettingsStore } from '../../ports/tenant-settings.ts';
import { TENANTS_TABLE } from './tenants-table.ts';

type Item = Record<string, unknown>;

/**
 * Tenant settings on DynamoDB: one item per tenant in the tenants table, each quota its own
 * attribute, so an update is one UpdateItem (SET the quotas given, REMOVE those set back to the
 * default) and two racing updates of different quotas both land without a read.
 */
export class DynamoDbTenantSettings implements TenantSettingsStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly table: string;

  constructor(doc: DynamoDBDocumentClient, table: string) {
    this.doc = doc;
    this.table = table;
  }

  async get(tenant: string): Promise<TenantSettings | null> {
    const out = await this.call('get', () =>
      this.doc.send(new GetCommand({ TableName: this.table, Key: keyOf(tenant), ConsistentRead: true })),
    );
    return out.Item ? fromItem(out.Item) : null;
  }

  async update(tenant: string, changes: QuotaChanges, now: Date): Promise<TenantSettings> {
    const names: Record<string, string> = { '#updatedAt': 'updatedAt' };
    const values: Record<string, unknown> = { ':now': now.toISOString() };
    const sets = ['#updatedAt = :now'];
    const removes: string[] = [];
    for (const name of QUOTA_NAMES) {
      const change = changes[name];
      if (change === undefined) continue;
      names[`#${name}`] = name;
      if (change === 'default') removes.push(`#${name}`);
      else {
        values[`:${name}`] = change;
        sets.push(`#${name} = :${name}`);
      }
    }
    const out = await this.call('update', () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keyOf(tenant),
          UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return fromItem(out.Attributes ?? { ...keyOf(tenant), updatedAt: now.toISOString() });
  }

  /** A Scan for the settings items: an operator's listing, over one small item per tenant and day. */
  async list(): Promise<TenantSettings[]> {
    const found: TenantSettings[] = [];
    let start: Item | undefined;
    do {
      const out = await this.call('list', () =>
        this.doc.send(
          new ScanCommand({
            TableName: this.table,
            FilterExpression: '#entry = :settings',
            ExpressionAttributeNames: { '#entry': TENANTS_TABLE.sortKey },
            ExpressionAttributeValues: { ':settings': TENANTS_TABLE.settingsEntry },
            ExclusiveStartKey: start,
          }),
        ),
      );
      for (const item of out.Items ?? []) found.push(fromItem(item));
      start = out.LastEvaluatedKey;
    } while (start);
    return found.sort((a, b) => (a.tenant < b.tenant ? -1 : a.tenant > b.tenant ? 1 : 0));
  }

  private async call<T>(what: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw new UnavailableError(`DynamoDB tenant settings ${what} failed: ${(error as Error).message}`, { cause: error });
    }
  }
}

function keyOf(tenant: string): Item {
  return { [TENANTS_TABLE.partitionKey]: tenant, [TENANTS_TABLE.sortKey]: TENANTS_TABLE.settingsEntry };
}

function fromItem(item: Item): TenantSettings {
  const quotas: Record<string, unknown> = {};
  for (const name of QUOTA_NAMES) if (name in item) quotas[name] = item[name];
  return {
    tenant: String(item[TENANTS_TABLE.partitionKey]),
    quotas: quotas as TenantSettings['quotas'],
    updatedAt: String(item.updatedAt),
  };
}
