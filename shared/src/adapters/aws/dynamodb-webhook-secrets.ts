import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { UnavailableError } from '../../domain/errors.ts';
import type { WebhookSecretStore } from '../../ports/webhook-endpoints.ts';
import { liveSecrets, newWebhookSecret, rotatedSecrets, type StoredWebhookSecret } from '../../webhooks/webhook-secret.ts';
import { TENANTS_TABLE } from './tenants-table.ts';

/** The tenants table's entry holding a tenant's webhook signing secrets. */
const SECRETS_ENTRY = 'webhook-secrets';
const MAX_TRIES = 5;

/**
 * Tenants' webhook signing secrets on DynamoDB: one item per tenant in the tenants table (every
 * service that signs or rotates already reaches it), written with a version condition so two
 * rotations, or two first uses, cannot both win.
 */
export class DynamoDbWebhookSecrets implements WebhookSecretStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly table: string;

  constructor(doc: DynamoDBDocumentClient, table: string) {
    this.doc = doc;
    this.table = table;
  }

  async signingSecrets(tenant: string, now: Date): Promise<string[]> {
    for (let tries = 1; ; tries++) {
      const { secrets, version } = await this.read(tenant);
      const live = liveSecrets(secrets, now);
      if (live.length > 0) return live;
      const fresh = newWebhookSecret();
      if (await this.write(tenant, [{ secret: fresh, createdAt: now.toISOString(), expiresAt: null }], version)) return [fresh];
      if (tries >= MAX_TRIES) throw new UnavailableError(`webhook secrets of tenant ${tenant}: too many concurrent writes`);
    }
  }

  async rotate(tenant: string, now: Date, overlapSeconds: number): Promise<string> {
    for (let tries = 1; ; tries++) {
      const { secrets, version } = await this.read(tenant);
      const fresh = newWebhookSecret();
      if (await this.write(tenant, rotatedSecrets(secrets, fresh, now, overlapSeconds), version)) return fresh;
      if (tries >= MAX_TRIES) throw new UnavailableError(`webhook secrets of tenant ${tenant}: too many concurrent writes`);
    }
  }

  private async read(tenant: string): Promise<{ secrets: StoredWebhookSecret[]; version: number }> {
    try {
      const out = await this.doc.send(
        new GetCommand({
          TableName: this.table,
          Key: { [TENANTS_TABLE.partitionKey]: tenant, [TENANTS_TABLE.sortKey]: SECRETS_ENTRY },
          ConsistentRead: true,
        }),
      );
      const item = out.Item;
      return item
        ? { secrets: JSON.parse(String(item.secretsJson)) as StoredWebhookSecret[], version: Number(item.version) }
        : { secrets: [], version: 0 };
    } catch (error) {
      throw new UnavailableError(`DynamoDB webhook secrets read failed: ${(error as Error).message}`, { cause: error });
    }
  }

  /** False when another writer got there first (the caller reads again). */
  private async write(tenant: string, secrets: StoredWebhookSecret[], version: number): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            [TENANTS_TABLE.partitionKey]: tenant,
            [TENANTS_TABLE.sortKey]: SECRETS_ENTRY,
            secretsJson: JSON.stringify(secrets),
            version: version + 1,
          },
          ConditionExpression: version === 0 ? 'attribute_not_exists(#v)' : '#v = :v',
          ExpressionAttributeNames: { '#v': 'version' },
          ...(version === 0 ? {} : { ExpressionAttributeValues: { ':v': version } }),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw new UnavailableError(`DynamoDB webhook secrets write failed: ${(error as Error).message}`, { cause: error });
    }
  }
}
