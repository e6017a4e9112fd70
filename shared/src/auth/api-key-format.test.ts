import assert from 'node:assert/strict';
import { test } from 'vitest';
import { hashApiKey, keyIdOf, keyMatchesHash, mintApiKey } from './api-key-format.ts';

test('a minted key carries its id, 192 random bits, and matches only its own hash', () => {
  const a = mintApiKey();
  const b = mintApiKey();
  assert.match(a.key, /^ar_live_[0-9a-f]{16}_[A-Za-z0-9_-]{32}$/);
  assert.equal(Buffer.from(a.key.slice(-32), 'base64url').length, 24);
  assert.equal(keyIdOf(a.key), a.keyId);
  assert.notEqual(a.key, b.key);
  assert.equal(a.hash, hashApiKey(a.key));
  assert.ok(keyMatchesHash(a.key, a.hash));
  assert.ok(!keyMatchesHash(b.key, a.hash));
  assert.ok(!keyMatchesHash(`${a.key.slice(0, -1)}x`, a.hash));
  assert.ok(!keyMatchesHash(a.key, 'abcd'), 'a stored hash of the wrong length never matches');
});

test('anything not shaped like a key has no id', () => {
  const { key } = mintApiKey();
  for (const bad of ['', 'ar_live_', `${key}x`, key.replace('ar_live_', 'ar_test_'), key.toUpperCase(), `Bearer ${key}`])
    assert.equal(keyIdOf(bad), null, bad);
});
