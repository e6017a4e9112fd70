import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { getJson, type BlobStore } from '@agent-runner/shared/ports/job-store.ts';
import { backendsUnderTest, openBackend, type OpenedBackend } from '../support/backends.ts';

const key = (what: string) => `contract/${randomUUID()}/${what}`;
/** Byte equality, whatever Uint8Array subclass (Buffer) a store hands back. */
const sameBytes = (a: Uint8Array | null, b: Uint8Array) => a !== null && Buffer.from(a).equals(Buffer.from(b));
const text = (bytes: Uint8Array | null) => (bytes === null ? null : Buffer.from(bytes).toString('utf8'));

for (const target of backendsUnderTest()) {
  describe(`BlobStore contract (${target.name})`, () => {
    let opened: OpenedBackend;
    let blobs: BlobStore;
    beforeAll(async () => {
      opened = await openBackend(target);
      blobs = opened.backend.blobs;
    });
    afterAll(() => opened?.close());

    test('a string reads back as its UTF-8 bytes', async () => {
      const k = key('result.json');
      const body = JSON.stringify({ text: 'héllo ✓ 🚀', n: [1, 2, 3] });
      await blobs.put(k, body, 'application/json');
      const bytes = await blobs.get(k);
      assert.ok(bytes instanceof Uint8Array);
      assert.equal(text(bytes), body);
      assert.deepEqual(await getJson(blobs, k), { text: 'héllo ✓ 🚀', n: [1, 2, 3] });
    });

    test('binary bytes read back exactly, every byte value and a megabyte of them', async () => {
      const every = new Uint8Array(256).map((_, i) => i);
      const k1 = key('bytes.bin');
      await blobs.put(k1, every, 'application/octet-stream');
      assert.ok(sameBytes(await blobs.get(k1), every));

      const big = new Uint8Array(randomBytes(1024 * 1024));
      const k2 = key('big.bin');
      await blobs.put(k2, big, 'application/octet-stream');
      assert.ok(sameBytes(await blobs.get(k2), big));
    });

    test('a second put replaces the first', async () => {
      const k = key('payload.json');
      await blobs.put(k, 'first, and longer than the second', 'text/plain');
      await blobs.put(k, 'second', 'text/plain');
      assert.equal(text(await blobs.get(k)), 'second');
    });

    test('an absent key reads as null', async () => {
      assert.equal(await blobs.get(key('never-written')), null);
    });

    test('delete removes the blob, and deleting an absent one is not an error', async () => {
      const k = key('gone.txt');
      await blobs.put(k, 'soon gone', 'text/plain');
      await blobs.delete(k);
      assert.equal(await blobs.get(k), null);
      await blobs.delete(k);
      await blobs.delete(key('never-written'));
    });

    test('keys that share a prefix are separate blobs', async () => {
      const base = key('results');
      await blobs.put(`${base}/a.json`, 'a', 'text/plain');
      await blobs.put(`${base}/b.json`, 'b', 'text/plain');
      await blobs.delete(`${base}/a.json`);
      assert.equal(await blobs.get(`${base}/a.json`), null);
      assert.equal(text(await blobs.get(`${base}/b.json`)), 'b');
    });
  });
}
