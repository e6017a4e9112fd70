/**
 * The webhook endpoints table's shape, shared by its adapter and `provision`: one item per endpoint
 * under its tenant (a submit reads the tenant's endpoints with one consistent Query), and an index by
 * endpoint id for the delivery side, which knows only the id.
 */
export const WEBHOOK_ENDPOINTS_TABLE = {
  partitionKey: 'tenant',
  sortKey: 'endpointId',
  byIdIndex: { name: 'by-endpoint-id', partitionKey: 'endpointId' },
} as const;
