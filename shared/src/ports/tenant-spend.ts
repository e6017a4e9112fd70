/**
 * Each tenant's recorded Claude spend per UTC day, in USD: the running total a daily budget is
 * checked against. Workers add what they record on the job records (the same amounts, right after
 * each usage write), so reading a tenant's day is one item, not a pass over its jobs. Days are
 * `YYYY-MM-DD` (utcDayOf); old days expire after SPEND_RETENTION_DAYS.
 */
export interface TenantSpend {
  /** Adds `usd` (> 0) to the tenant's day and returns the day's new total. Atomic against other adders. */
  add(tenant: string, day: string, usd: number): Promise<number>;
  /** The day's total; 0 when nothing was recorded. */
  get(tenant: string, day: string): Promise<number>;
}

/** How long a day's total is kept (DynamoDB TTL / pruned on write in SQLite). */
export const SPEND_RETENTION_DAYS = 40;
