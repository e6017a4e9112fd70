import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { UnavailableError } from '../../domain/errors.ts';
import type { QueuedJobCount } from '../../ports/queued-job-count.ts';
import { JOBS_TABLE } from './jobs-table.ts';

/**
 * Counts a tenant's QUEUED jobs with a COUNT Query on the jobs table's `by-tenant-status` index
 * (tenant, status; keys only). `Limit` bounds the entries read, so a cap of 1,000 costs at most
 * about 1,000 small index entries (~12 read units), however many jobs other tenants have queued.
 */
export class DynamoDbQueuedJobCount implements QueuedJobCount {
  private readonly doc: DynamoDBDocumentClient;
  private readonly table: string;

  constructor(doc: DynamoDBDocumentClient, table: string) {
    this.doc = doc;
    this.table = table;
  }

  async countQueued(tenant: string, atMost: number): Promise<number> {
    const index = JOBS_TABLE.tenantStatusIndex;
    let counted = 0;
    let start: Record<string, unknown> | undefined;
    while (counted < atMost) {
      const out = await this.call(() =>
        this.doc.send(
          new QueryCommand({
            TableName: this.table,
            IndexName: index.name,
            KeyConditionExpression: '#t = :t AND #s = :s',
            ExpressionAttributeNames: { '#t': index.partitionKey, '#s': index.sortKey },
            ExpressionAttributeValues: { ':t': tenant, ':s': 'QUEUED' },
            Select: 'COUNT',
            Limit: atMost - counted,
            ExclusiveStartKey: start,
          }),
        ),
      );
      counted += out.Count ?? 0;
      start = out.LastEvaluatedKey;
      if (!start) break;
    }
    return Math.min(counted, atMost);
  }

  private async call<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw new UnavailableError(`DynamoDB queued-job count failed: ${(error as Error).message}`, { cause: error });
    }
  }
}
