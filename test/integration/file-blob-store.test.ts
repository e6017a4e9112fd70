import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { FileBlobStore } from '@agent-runner/shared/adapters/embedded/file-blob-store.ts';
import { ValidationError } from '@agent-runner/shared/domain/errors.ts';

describe('file blob store (embedded only)', () => {
  let dir: string;
  let blobs: FileBlobStore;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'agent-runner-blobs-'));
    blobs = new FileBlobStore(join(dir, 'blobs'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const key of ['../outside.txt', 'a/../../outside.txt', '/etc/passwd', '', '.', 'a/\0b']) {
    test(`refuses the key ${JSON.stringify(key)}, which is not a file under its directory`, async () => {
      await assert.rejects(blobs.put(key, 'x', 'text/plain'), ValidationError);
      await assert.rejects(blobs.get(key), ValidationError);
      await assert.rejects(blobs.delete(key), ValidationError);
      assert.equal(existsSync(join(dir, 'outside.txt')), false);
    });
  }

  test('a key is a path under the blob directory and a write leaves no temporary file', async () => {
    await blobs.put('results/01ABC.json', '{"ok":true}', 'application/json');
    assert.deepEqual(readdirSync(join(dir, 'blobs', 'results')), ['01ABC.json']);
  });
});
