import assert from 'node:assert/strict';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { test } from 'vitest';
import { NonPublicAddressError } from './net-errors.ts';
import { publicLookup, type ResolveHost } from './public-lookup.ts';

const answers: ResolveHost = async (host) =>
  host === 'dual.example.com'
    ? [
        { address: '2606:4700::1', family: 6 },
        { address: '93.184.216.34', family: 4 },
      ]
    : [{ address: '10.0.0.7', family: 4 }];

/** Calls a lookup as net.connect does and returns what it answered. */
function callLookup(host: string, options: LookupOptions, allowPrivate = false) {
  return new Promise<{ error: Error | null; address: string | LookupAddress[]; family: number | undefined }>((resolve) =>
    publicLookup({ allowPrivate, resolve: answers })(host, options, (error, address, family) => resolve({ error, address, family })),
  );
}

test('with all: true the lookup answers every checked address, as happy eyeballs wants', async () => {
  const { error, address } = await callLookup('dual.example.com', { all: true });
  assert.equal(error, null);
  assert.deepEqual(address, [
    { address: '2606:4700::1', family: 6 },
    { address: '93.184.216.34', family: 4 },
  ]);
});

test('without all it answers the first address of the family asked for', async () => {
  assert.deepEqual(await callLookup('dual.example.com', {}), { error: null, address: '2606:4700::1', family: 6 });
  assert.deepEqual(await callLookup('dual.example.com', { family: 4 }), { error: null, address: '93.184.216.34', family: 4 });
});

test('a non-public answer is an error to the socket, unless private addresses are allowed', async () => {
  const refused = await callLookup('intranet.example.com', { all: true });
  assert.ok(refused.error instanceof NonPublicAddressError);
  assert.equal(refused.error.range, 'private');
  assert.deepEqual(await callLookup('intranet.example.com', {}, true), { error: null, address: '10.0.0.7', family: 4 });
  const none = await callLookup('intranet.example.com', { family: 6 }, true);
  assert.match(String(none.error), /has no IPv6 address/);
});
