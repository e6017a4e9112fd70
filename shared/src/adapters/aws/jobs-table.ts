/**
 * The jobs table's shape, shared by the adapter that uses it and `provision` that creates it.
 * Indexes project only what listing needs; the page's records are then read from the table with
 * a consistent BatchGetItem, so an index write happens only when an indexed attribute changes.
 */
export const JOBS_TABLE = {
  partitionKey: 'jobId',
  /** Every job sits in one partition of this index, sorted by id (ULID = creation time). Keys only:
   * it is written once per job, on create, so its one partition is far from DynamoDB's per-partition
   * write limit (1,000 writes/s). */
  allIndex: { name: 'by-created', partitionKey: 'listPartition', sortKey: 'jobId', partitionValue: 'jobs', include: [] as string[] },
  statusIndex: { name: 'by-status', partitionKey: 'status', sortKey: 'jobId', include: ['jobType'] },
  typeIndex: { name: 'by-type', partitionKey: 'jobType', sortKey: 'jobId', include: ['status'] },
  /** One tenant's jobs (what an API key may list), filtered by status and type when asked. */
  tenantIndex: { name: 'by-tenant', partitionKey: 'tenant', sortKey: 'jobId', include: ['status', 'jobType'] },
  /** A tenant's jobs by status, for counting its QUEUED ones (the max-queued quota). Keys only; written
   * when a job is created and when its status changes. */
  tenantStatusIndex: { name: 'by-tenant-status', partitionKey: 'tenant', sortKey: 'status', include: [] as string[] },
  /**
   * Idempotency records live in this table too, so one TransactWriteItems stores a job with the key
   * that created it. Their `jobId` is `idempotency#["<tenant>","<key>"]` (never a ULID) and they
   * carry none of the indexes' keys, so no listing sees them; TTL on `ttlEpochSeconds` removes them.
   */
  idempotency: { keyPrefix: 'idempotency#', ttlAttribute: 'ttlEpochSeconds' },
  /**
   * Pipeline records live here too: `jobId` is `pipeline#<id>`, `status` is `pipeline:<status>`
   * (so only the by-status index sees them, in partitions no job status uses), no tenant or type.
   */
  pipeline: { keyPrefix: 'pipeline#', statusPrefix: 'pipeline:' },
} as const;
