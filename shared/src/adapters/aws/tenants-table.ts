/**
 * The tenants table's shape, shared by its adapters and `provision`: per tenant, one `settings`
 * item and one `spend#YYYY-MM-DD` item per day (expiring by TTL on `expiresAt`).
 */
export const TENANTS_TABLE = {
  partitionKey: 'tenant',
  sortKey: 'entry',
  settingsEntry: 'settings',
  spendEntry: (day: string) => `spend#${day}`,
  ttlAttribute: 'expiresAt',
} as const;
