import { keyIdOf, keyMatchesHash } from '@agent-runner/shared/auth/api-key-format.ts';
import type { Logger } from '@agent-runner/shared/observability/logger.ts';
import type { ApiKeyRecord, ApiKeyStore } from '@agent-runner/shared/ports/api-keys.ts';
import { TtlCache } from '@agent-runner/shared/runtime/ttl-cache.ts';

/** A key's last use is written at most this often per key and API instance, not on every request. */
const RECORD_USE_EVERY_MS = 60_000;
/** At most this many ids are remembered (most would be made-up ones): the oldest go first. */
const MAX_CACHED = 10_000;

export interface ApiKeyVerifierOptions {
  /** How long what was read about a key is trusted (AGENT_RUNNER_AUTH_CACHE_SECONDS, ≤ 10 s). */
  cacheMs: number;
  log: Logger;
  /** Default: Date.now. */
  nowMs?: () => number;
}

/**
 * Finds the stored key a presented key names and checks it. What the store said about an id (found,
 * absent or revoked) is kept for `cacheMs`, so a revocation reaches every API instance within that
 * time while a busy key costs one read per instance per `cacheMs`, not one per request.
 */
export class ApiKeyVerifier {
  private readonly store: ApiKeyStore;
  private readonly options: ApiKeyVerifierOptions;
  /** What the store said about each id; a failed read is not remembered. */
  private readonly records: TtlCache<ApiKeyRecord | null>;
  private readonly usedAt = new Map<string, number>();

  constructor(store: ApiKeyStore, options: ApiKeyVerifierOptions) {
    this.store = store;
    this.options = options;
    this.records = new TtlCache(options.cacheMs, { now: () => new Date(this.now()) }, MAX_CACHED);
  }

  /** The record of a valid, unrevoked key; null for anything else. */
  async verify(key: string): Promise<ApiKeyRecord | null> {
    const keyId = keyIdOf(key);
    if (!keyId) return null;
    const record = await this.lookup(keyId);
    if (!record || record.revokedAt !== null || !keyMatchesHash(key, record.hash)) return null;
    this.noteUse(keyId);
    return record;
  }

  /** The unrevoked record of `keyId` (for stream tokens, signed with it); null when absent or revoked. */
  async activeRecord(keyId: string): Promise<ApiKeyRecord | null> {
    const record = await this.lookup(keyId);
    return record && record.revokedAt === null ? record : null;
  }

  private lookup(keyId: string): Promise<ApiKeyRecord | null> {
    return this.records.get(keyId, () => this.store.get(keyId));
  }

  private noteUse(keyId: string): void {
    const now = this.now();
    if (now - (this.usedAt.get(keyId) ?? -Infinity) < RECORD_USE_EVERY_MS) return;
    if (this.usedAt.size >= MAX_CACHED) this.usedAt.clear();
    this.usedAt.set(keyId, now);
    this.store
      .recordUse(keyId, new Date(now))
      .catch((error: unknown) => this.options.log.warn({ err: error, key_id: keyId }, 'could not record an API key use'));
  }

  private now(): number {
    return (this.options.nowMs ?? Date.now)();
  }
}
