import { QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { JsonValue } from '../../domain/job.ts';
import type { JobEvent, JobEventLog, NewJobEvent } from '../../ports/job-events.ts';

/** TransactWriteItems takes at most 100 actions (DynamoDB API reference). */
const TRANSACTION_MAX = 100;

/**
 * The job event log in DynamoDB: partition `jobId`, sort key `seq`. A flush is one conditional
 * transaction (`attribute_not_exists`), so a fast stream costs one write request per flush and a
 * second writer fails instead of overwriting. `expiresAt` (epoch seconds) is the table's TTL
 * attribute: DynamoDB deletes old events itself.
 */
export class DynamoDbJobEventLog implements JobEventLog {
  private readonly doc: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly retentionSeconds: number;

  constructor(doc: DynamoDBDocumentClient, table: string, retentionSeconds: number) {
    this.doc = doc;
    this.table = table;
    this.retentionSeconds = retentionSeconds;
  }

  async append(jobId: string, firstSeq: number, events: readonly NewJobEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += TRANSACTION_MAX) {
      const chunk = events.slice(i, i + TRANSACTION_MAX);
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: chunk.map((e, j) => ({
            Put: {
              TableName: this.table,
              Item: {
                jobId,
                seq: firstSeq + i + j,
                at: e.at,
                attempt: e.attempt,
                type: e.type,
                // Stored as JSON text: DynamoDB cannot hold every JSON value as-is (empty sets, huge numbers).
                data: JSON.stringify(e.data),
                expiresAt: Math.floor(Date.parse(e.at) / 1000) + this.retentionSeconds,
              },
              ConditionExpression: 'attribute_not_exists(seq)',
            },
          })),
        }),
      );
    }
  }

  async read(jobId: string, afterSeq: number, limit: number): Promise<JobEvent[]> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'jobId = :job AND seq > :after',
        ExpressionAttributeValues: { ':job': jobId, ':after': afterSeq },
        Limit: limit,
        ConsistentRead: true,
      }),
    );
    return (out.Items ?? []).map((item) => ({
      jobId,
      seq: Number(item.seq),
      at: String(item.at),
      attempt: Number(item.attempt),
      type: String(item.type),
      data: JSON.parse(String(item.data)) as JsonValue,
    }));
  }

  async lastSeq(jobId: string): Promise<number> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'jobId = :job',
        ExpressionAttributeValues: { ':job': jobId },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
        ProjectionExpression: 'seq',
      }),
    );
    const item = out.Items?.[0];
    return item ? Number(item.seq) : 0;
  }
}
