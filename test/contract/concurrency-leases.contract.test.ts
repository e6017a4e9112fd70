import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { LeaseScope } from '@agent-runner/shared/domain/concurrency-scopes.ts';
import type { ConcurrencyLeases } from '@agent-runner/shared/ports/concurrency-leases.ts';
import { backendsUnderTest, openBackend, type OpenedBackend } from '../support/backends.ts';

const now = new Date('2026-01-01T00:00:00.000Z');

for (const target of backendsUnderTest()) {
  describe(`ConcurrencyLeases contract (${target.name})`, () => {
    let opened: OpenedBackend;
    let leases: ConcurrencyLeases;
    beforeAll(async () => {
      opened = await openBackend(target);
      leases = opened.backend.leases;
    });
    afterAll(() => opened?.close());

    const scope = (limit: number): LeaseScope => ({ key: `s-${randomUUID()}`, limit });

    test('a scope admits exactly its limit of holders, then names itself full', async () => {
      const s = scope(2);
      assert.deepEqual(await leases.acquire('a', [s], now), { acquired: true });
      assert.deepEqual(await leases.acquire('b', [s], now), { acquired: true });
      assert.deepEqual(await leases.acquire('c', [s], now), { acquired: false, fullScopes: [s.key] });
      await leases.release('a');
      assert.deepEqual(await leases.acquire('c', [s], now), { acquired: true });
      await Promise.all(['b', 'c'].map((h) => leases.release(h)));
    });

    test('acquiring is all or nothing across scopes, and idempotent per holder', async () => {
      const roomy = scope(5);
      const tight = scope(1);
      const h1 = `h-${randomUUID()}`;
      const h2 = `h-${randomUUID()}`;
      assert.equal((await leases.acquire(h1, [roomy, tight], now)).acquired, true);
      assert.equal((await leases.acquire(h1, [roomy, tight], now)).acquired, true, 'a holder that holds them gets true again');
      const refused = await leases.acquire(h2, [roomy, tight], now);
      assert.deepEqual(refused, { acquired: false, fullScopes: [tight.key] });
      const held = (await leases.list()).filter((l) => l.scope === roomy.key || l.scope === tight.key);
      assert.deepEqual(held.map((l) => l.holder).sort(), [h1, h1], 'the refused holder took nothing, the idempotent one nothing more');
      await leases.release(h1);
      assert.equal((await leases.list()).filter((l) => l.holder === h1).length, 0);
    });

    test('a release naming the held scopes frees them; one naming others still frees what is held', async () => {
      const s1 = scope(1);
      const s2 = scope(1);
      const right = `h-${randomUUID()}`;
      const wrong = `h-${randomUUID()}`;
      assert.equal((await leases.acquire(right, [s1], now)).acquired, true);
      assert.equal((await leases.acquire(wrong, [s2], now)).acquired, true);
      await leases.release(right, [s1.key]);
      await leases.release(wrong, [s1.key, 'global']);
      assert.equal((await leases.list()).filter((l) => l.holder === right || l.holder === wrong).length, 0);
      assert.equal((await leases.acquire(`h-${randomUUID()}`, [s1], now)).acquired, true, 'the first scope is free again');
      assert.equal((await leases.acquire(`h-${randomUUID()}`, [s1], now)).acquired, false, 'and counted down once, not twice');
      assert.equal((await leases.acquire(`h-${randomUUID()}`, [s2], now)).acquired, true, 'the second is free again');
    });

    test('releasing a holder that holds nothing is not an error', async () => {
      await leases.release(`nobody-${randomUUID()}`);
    });

    test('racing acquirers never exceed the limit', async () => {
      const s = scope(3);
      const holders = Array.from({ length: 12 }, (_, i) => `race-${i}-${randomUUID()}`);
      const results = await Promise.all(holders.map((h) => leases.acquire(h, [s], now)));
      const winners = results.filter((r) => r.acquired).length;
      assert.ok(winners <= 3, `${winners} holders got a slot of 3`);
      assert.ok(winners >= 1, 'someone got a slot');
      assert.equal((await leases.list()).filter((l) => l.scope === s.key).length, winners);
      await Promise.all(holders.map((h) => leases.release(h)));
    });

    test('list reports scope, holder and when it was acquired', async () => {
      const s = scope(1);
      const h = `h-${randomUUID()}`;
      await leases.acquire(h, [s], now);
      const held = (await leases.list()).find((l) => l.holder === h);
      assert.deepEqual(held, { scope: s.key, holder: h, acquiredAt: now.toISOString() });
      await leases.release(h);
    });
  });
}
