/**
 * How many of a tenant's jobs are QUEUED (waiting for a worker, retries waiting their backoff
 * included), for the max-queued quota. Answered from an index of the job store, never a scan:
 * the SQLite partial index `jobs_queued_by_tenant`, the DynamoDB index `by-tenant-status`.
 */
export interface QueuedJobCount {
  /**
   * Counts up to `atMost` and stops there (the answer is then `atMost`, the real count may be
   * higher): what a cap needs, at a cost bounded by the cap. On DynamoDB the index is eventually
   * consistent: a job queued or started in the last moment may be missing or still counted.
   */
  countQueued(tenant: string, atMost: number): Promise<number>;
}
