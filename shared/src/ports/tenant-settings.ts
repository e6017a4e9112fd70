import type { QuotaChanges, TenantSettings } from '../domain/tenant-quotas.ts';

/**
 * What operators set per tenant (`agent-runner tenants set`): its quota overrides. Stored beside the
 * jobs (a DynamoDB table or a SQLite table); read by the API (briefly cached) and by workers.
 */
export interface TenantSettingsStore {
  /** null when nothing was ever set for the tenant (it follows the defaults). */
  get(tenant: string): Promise<TenantSettings | null>;
  /**
   * Applies `changes` over what is stored (quotas not named keep their value) and returns the
   * result. Two racing updates of different quotas both take effect (a conditional write on the
   * version read, retried).
   */
  update(tenant: string, changes: QuotaChanges, now: Date): Promise<TenantSettings>;
  /** Every tenant with settings, by name (small: one item per configured tenant). */
  list(): Promise<TenantSettings[]>;
}
