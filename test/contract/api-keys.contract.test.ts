import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { keyIdOf, keyMatchesHash, mintApiKey } from '@agent-runner/shared/auth/api-key-format.ts';
import { ConflictError, NotFoundError } from '@agent-runner/shared/domain/errors.ts';
import type { ApiKeyRecord, ApiKeyStore } from '@agent-runner/shared/ports/api-keys.ts';
import { backendsUnderTest, openBackend, type OpenedBackend } from '../support/backends.ts';

const created = new Date('2026-01-01T00:00:00.000Z');

function newRecord(tenant: string, overrides: Partial<ApiKeyRecord> = {}): { record: ApiKeyRecord; key: string } {
  const minted = mintApiKey();
  return {
    key: minted.key,
    record: {
      keyId: minted.keyId,
      tenant,
      name: null,
      scopes: ['submit', 'read'],
      hash: minted.hash,
      createdAt: created.toISOString(),
      lastUsedAt: null,
      revokedAt: null,
      ...overrides,
    },
  };
}

for (const target of backendsUnderTest()) {
  describe(`ApiKeyStore contract (${target.name})`, () => {
    let opened: OpenedBackend;
    let keys: ApiKeyStore;
    beforeAll(async () => {
      opened = await openBackend(target);
      keys = opened.backend.apiKeys;
    });
    afterAll(() => opened?.close());

    test('a created key reads back exactly, found by the id inside the key; the key itself is not stored', async () => {
      const { record, key } = newRecord(`t-${randomUUID()}`, { name: 'ci', scopes: ['admin'] });
      await keys.create(record);
      const found = await keys.get(keyIdOf(key)!);
      assert.deepEqual(found, record);
      assert.ok(keyMatchesHash(key, found!.hash));
      assert.ok(!JSON.stringify(found).includes(key.slice(-32)), 'the secret part is nowhere in the record');
      assert.equal(await keys.get('0000000000000000'), null);
    });

    test('creating an id twice is a conflict and keeps the first', async () => {
      const { record } = newRecord(`t-${randomUUID()}`);
      await keys.create(record);
      await assert.rejects(keys.create({ ...record, tenant: 'other' }), ConflictError);
      assert.equal((await keys.get(record.keyId))?.tenant, record.tenant);
    });

    test("list returns a tenant's keys oldest first, or every key", async () => {
      const tenant = `t-${randomUUID()}`;
      const first = newRecord(tenant, { createdAt: '2026-01-01T00:00:01.000Z' }).record;
      const second = newRecord(tenant, { createdAt: '2026-01-01T00:00:02.000Z' }).record;
      const elsewhere = newRecord(`t-${randomUUID()}`).record;
      for (const r of [second, elsewhere, first]) await keys.create(r);
      assert.deepEqual(await keys.list({ tenant }), [first, second]);
      const all = (await keys.list({})).map((r) => r.keyId);
      for (const r of [first, second, elsewhere]) assert.ok(all.includes(r.keyId));
    });

    test('revoking records the first time only; an unknown key is NotFound', async () => {
      const { record } = newRecord(`t-${randomUUID()}`);
      await keys.create(record);
      const at = new Date('2026-01-02T00:00:00.000Z');
      assert.equal((await keys.revoke(record.keyId, at)).revokedAt, at.toISOString());
      assert.equal((await keys.revoke(record.keyId, new Date('2026-01-03T00:00:00.000Z'))).revokedAt, at.toISOString());
      assert.equal((await keys.get(record.keyId))?.revokedAt, at.toISOString());
      await assert.rejects(keys.revoke('ffffffffffffffff', at), NotFoundError);
    });

    test('recordUse moves last-used forward only, and not on a revoked key', async () => {
      const { record } = newRecord(`t-${randomUUID()}`);
      await keys.create(record);
      await keys.recordUse(record.keyId, new Date('2026-01-05T00:00:00.000Z'));
      await keys.recordUse(record.keyId, new Date('2026-01-04T00:00:00.000Z'));
      assert.equal((await keys.get(record.keyId))?.lastUsedAt, '2026-01-05T00:00:00.000Z');
      await keys.revoke(record.keyId, new Date('2026-01-06T00:00:00.000Z'));
      await keys.recordUse(record.keyId, new Date('2026-01-07T00:00:00.000Z'));
      assert.equal((await keys.get(record.keyId))?.lastUsedAt, '2026-01-05T00:00:00.000Z');
      await keys.recordUse('eeeeeeeeeeeeeeee', new Date());
      assert.equal(await keys.get('eeeeeeeeeeeeeeee'), null, 'a use of an unknown key creates nothing');
    });
  });
}
