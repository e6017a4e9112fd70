import assert from 'node:assert/strict';
import { test } from 'vitest';
import { mintApiKey } from '@agent-runner/shared/auth/api-key-format.ts';
import { createLogger } from '@agent-runner/shared/observability/logger.ts';
import type { ApiKeyRecord, ApiKeyStore } from '@agent-runner/shared/ports/api-keys.ts';
import { ApiKeyVerifier } from './api-key-verifier.ts';

/** A store that counts reads and use writes. */
class CountingStore implements ApiKeyStore {
  readonly records = new Map<string, ApiKeyRecord>();
  reads = 0;
  uses: string[] = [];
  async create(record: ApiKeyRecord) {
    this.records.set(record.keyId, record);
  }
  async get(keyId: string) {
    this.reads++;
    const record = this.records.get(keyId);
    return record ? { ...record } : null;
  }
  async list() {
    return [...this.records.values()];
  }
  async revoke(keyId: string, now: Date) {
    const record = this.records.get(keyId)!;
    record.revokedAt ??= now.toISOString();
    return record;
  }
  async recordUse(_keyId: string, at: Date) {
    this.uses.push(at.toISOString());
  }
}

function setUp(cacheMs: number) {
  const store = new CountingStore();
  let now = Date.parse('2026-01-01T00:00:00.000Z');
  const verifier = new ApiKeyVerifier(store, { cacheMs, log: createLogger('test', 'silent'), nowMs: () => now });
  const minted = mintApiKey();
  void store.create({
    keyId: minted.keyId,
    tenant: 't',
    name: null,
    scopes: ['read'],
    hash: minted.hash,
    createdAt: new Date(now).toISOString(),
    lastUsedAt: null,
    revokedAt: null,
  });
  return { store, verifier, key: minted.key, keyId: minted.keyId, advance: (ms: number) => (now += ms) };
}

test('a key is read once per cache period; a revocation shows after it', async () => {
  const { store, verifier, key, keyId, advance } = setUp(5_000);
  assert.equal((await verifier.verify(key))?.keyId, keyId);
  assert.equal((await verifier.verify(key))?.keyId, keyId);
  assert.equal(store.reads, 1);
  await store.revoke(keyId, new Date());
  advance(4_999);
  assert.ok(await verifier.verify(key), 'still cached');
  advance(1);
  assert.equal(await verifier.verify(key), null);
  assert.equal(store.reads, 2);
});

test('a wrong secret for a known id, an unknown id and a malformed key are all refused', async () => {
  const { verifier, keyId } = setUp(5_000);
  assert.equal(await verifier.verify(`ar_live_${keyId}_${'A'.repeat(32)}`), null);
  assert.equal(await verifier.verify(mintApiKey().key), null);
  assert.equal(await verifier.verify('not a key'), null);
});

test('last use is written at most once a minute per key', async () => {
  const { store, verifier, key, advance } = setUp(0);
  await verifier.verify(key);
  advance(30_000);
  await verifier.verify(key);
  advance(30_000);
  await verifier.verify(key);
  assert.deepEqual(store.uses, ['2026-01-01T00:00:00.000Z', '2026-01-01T00:01:00.000Z']);
});
