/** What a key may do. `admin` may do everything, for every tenant. */
export const API_KEY_SCOPES = ['submit', 'read', 'cancel', 'admin'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/**
 * A stored API key: never the key itself, only its SHA-256 (see api-key-format.ts for why a fast
 * hash is enough). Absent values are `null` so both stores round-trip a record exactly.
 */
export interface ApiKeyRecord {
  /** The public part of the key (`ar_live_<keyId>_<secret>`), so a request's key is found by id. */
  keyId: string;
  tenant: string;
  name: string | null;
  scopes: ApiKeyScope[];
  /** Hex SHA-256 of the whole key. */
  hash: string;
  createdAt: string;
  /** Updated at most about once a minute per key and API instance, not per request. */
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface ApiKeyListQuery {
  tenant?: string;
}

/** The API keys of a deployment, in the job store's backend (a DynamoDB table or a SQLite table). */
export interface ApiKeyStore {
  /** Stores a new key. ConflictError if the id exists. */
  create(record: ApiKeyRecord): Promise<void>;
  get(keyId: string): Promise<ApiKeyRecord | null>;
  /** Oldest first. */
  list(query: ApiKeyListQuery): Promise<ApiKeyRecord[]>;
  /**
   * Marks the key revoked at `now` unless it already is (a conditional write: the first revocation's
   * time stays). Returns the record as stored. NotFoundError if absent.
   */
  revoke(keyId: string, now: Date): Promise<ApiKeyRecord>;
  /** Records a use at `at` when it is later than the recorded one; absent or revoked keys are left alone. */
  recordUse(keyId: string, at: Date): Promise<void>;
}
