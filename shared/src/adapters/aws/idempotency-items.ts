import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { ConflictError } from '../../domain/errors.ts';
import type { IdempotencyRecord } from '../../ports/job-store.ts';
import { JOBS_TABLE } from './jobs-table.ts';

type Item = Record<string, unknown>;

/**
 * Idempotency records as items of the jobs table, shared by the job store (POST /jobs) and the
 * pipeline store (POST /pipelines, POST /jobs with `then`): each writes a record in one
 * TransactWriteItems with what it names, so the key and its job or pipeline commit together.
 */

/** The item key of `tenant`'s `key`: JSON keeps any tenant and key apart from any other pair. */
export function idempotencyItemKey(tenant: string, key: string): string {
  return JOBS_TABLE.idempotency.keyPrefix + JSON.stringify([tenant, key]);
}

export function idempotencyItem(record: IdempotencyRecord): Item {
  return {
    jobId: idempotencyItemKey(record.tenant, record.key),
    tenant: record.tenant,
    idempotencyKey: record.key,
    requestHash: record.requestHash,
    idempotentJobId: record.jobId,
    ...(record.pipelineId !== undefined && { idempotentPipelineId: record.pipelineId }),
    createdAt: record.createdAt,
    expiresAt: record.expiresAt,
    [JOBS_TABLE.idempotency.ttlAttribute]: Math.ceil(Date.parse(record.expiresAt) / 1000),
  };
}

/** The transaction's Put of `record`: it takes the key if absent or expired at `now` (TTL deletes lazily, moto never). */
export function idempotencyItemPut(table: string, record: IdempotencyRecord, now: string) {
  return {
    Put: {
      TableName: table,
      Item: idempotencyItem(record),
      ConditionExpression: 'attribute_not_exists(jobId) OR expiresAt <= :now',
      ExpressionAttributeValues: { ':now': now },
    },
  };
}

/** The record an item holds, or null when there is none or it has expired at `now`. */
export function idempotencyRecordOf(item: Item | undefined, tenant: string, key: string, now: Date): IdempotencyRecord | null {
  // TTL deletes an expired item up to a few days late: its age is checked here.
  if (!item || typeof item.expiresAt !== 'string' || item.expiresAt <= now.toISOString()) return null;
  return {
    tenant,
    key,
    requestHash: String(item.requestHash),
    jobId: String(item.idempotentJobId),
    ...(typeof item.idempotentPipelineId === 'string' && { pipelineId: item.idempotentPipelineId }),
    createdAt: String(item.createdAt),
    expiresAt: item.expiresAt,
  };
}

/**
 * The TransactWriteItems that puts `item` (a job or a pipeline record) if absent together with
 * `record`: both are written or neither. The store sends it (its IAM actions are its service's).
 */
export function idempotentPutItems(table: string, item: Item, record: IdempotencyRecord, now: string) {
  return [
    idempotencyItemPut(table, record, now),
    { Put: { TableName: table, Item: item, ConditionExpression: 'attribute_not_exists(jobId)' } },
  ];
}

/** The ConflictError a failed `idempotentPutItems` transaction means (`what` names the item), or null. */
export function idempotentPutConflict(error: unknown, record: IdempotencyRecord, what: string): ConflictError | null {
  if (!(error instanceof TransactionCanceledException)) return null;
  const [key, named] = error.CancellationReasons ?? [];
  if (key?.Code === 'ConditionalCheckFailed') {
    return new ConflictError(`idempotency key "${record.key}" of tenant ${record.tenant} is taken`, { cause: error });
  }
  if (named?.Code === 'ConditionalCheckFailed') return new ConflictError(`${what} already exists`, { cause: error });
  return null;
}
