import assert from 'node:assert/strict';
import { test } from 'vitest';
import { TtlCache } from './ttl-cache.ts';

test('a value is reused until its time is up; concurrent misses share one load; failures are not kept', async () => {
  let ms = 0;
  const cache = new TtlCache<number>(1000, { now: () => new Date(ms) });
  let loads = 0;
  const load = async () => ++loads;
  assert.deepEqual(await Promise.all([cache.get('k', load), cache.get('k', load)]), [1, 1]);
  ms = 999;
  assert.equal(await cache.get('k', load), 1);
  ms = 1000;
  assert.equal(await cache.get('k', load), 2);
  cache.adjust('k', (n) => n + 10);
  assert.equal(await cache.get('k', load), 12, 'adjusted in place');
  await assert.rejects(cache.get('bad', () => Promise.reject(new Error('store down'))));
  assert.equal(await cache.get('bad', load), 3, 'the failure was not cached');
});

test('with no time to live every get loads', async () => {
  const cache = new TtlCache<number>(0, { now: () => new Date(0) });
  let loads = 0;
  await cache.get('k', async () => ++loads);
  await cache.get('k', async () => ++loads);
  assert.equal(loads, 2);
});
