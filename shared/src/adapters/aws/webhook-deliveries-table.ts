import type { WebhookDelivery } from '../../domain/webhook-delivery.ts';

/**
 * The webhook deliveries table's shape, shared by its adapter, the job store (which puts a job's
 * deliveries in the transaction that ends it) and `provision`.
 */
export const WEBHOOK_DELIVERIES_TABLE = {
  partitionKey: 'deliveryId',
  /** A subject's deliveries: `job#<id>` or `pipeline#<id>`, sorted by delivery id. Keys only. */
  subjectIndex: { name: 'by-subject', partitionKey: 'subjectKey', sortKey: 'deliveryId' },
  /**
   * PENDING deliveries by next try, for the sweep that finds one whose queue message was lost. Only
   * PENDING items carry `dueShard`, so the index holds only what may still be sent. Keys only.
   */
  dueIndex: { name: 'by-due', partitionKey: 'dueShard', sortKey: 'nextAttemptAt', shard: 'pending' },
} as const;

type Item = Record<string, unknown>;

export function subjectKey(kind: string, id: string): string {
  return `${kind}#${id}`;
}

/** The delivery as an item; attempts as JSON text (a list of maps would cost more to write and read). */
export function webhookDeliveryItem(delivery: WebhookDelivery): Item {
  const { attempts, nextAttemptAt, ...rest } = delivery;
  return {
    ...rest,
    // An index key may be absent but never null.
    ...(nextAttemptAt !== null ? { nextAttemptAt } : {}),
    attemptsJson: JSON.stringify(attempts),
    subjectKey: subjectKey(delivery.subjectKind, delivery.subjectId),
    ...(delivery.status === 'PENDING' ? { dueShard: WEBHOOK_DELIVERIES_TABLE.dueIndex.shard } : {}),
  };
}

export function webhookDeliveryFromItem(item: Item): WebhookDelivery {
  const { attemptsJson, subjectKey: _key, dueShard: _shard, ...rest } = item;
  const delivery = rest as Omit<WebhookDelivery, 'attempts'>;
  return {
    ...delivery,
    nextAttemptAt: delivery.nextAttemptAt ?? null,
    attempts: JSON.parse(String(attemptsJson ?? '[]')),
  } as WebhookDelivery;
}

/** The Put of a new delivery inside a TransactWriteItems: refused if the id exists (one event is owed once). */
export function webhookDeliveryPut(
  table: string,
  delivery: WebhookDelivery,
): { Put: { TableName: string; Item: Item; ConditionExpression: string } } {
  return { Put: { TableName: table, Item: webhookDeliveryItem(delivery), ConditionExpression: 'attribute_not_exists(deliveryId)' } };
}
