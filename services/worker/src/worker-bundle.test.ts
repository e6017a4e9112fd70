import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, test } from 'vitest';
import { freshWorkerBundle } from './worker-bundle.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A repository with one source file and a bundle built from it at `builtAtMs`. */
function repoWithBundle(builtAtMs: number): { root: URL; bundle: URL; source: string; lock: string } {
  const root = mkdtempSync(join(tmpdir(), 'worker-bundle-'));
  dirs.push(root);
  mkdirSync(join(root, 'src'));
  mkdirSync(join(root, 'bundle'));
  const source = join(root, 'src', 'main.ts');
  const lock = join(root, 'package-lock.json');
  writeFileSync(source, 'export {};');
  writeFileSync(join(root, 'bundle', 'main.mjs'), 'export {};');
  writeFileSync(
    join(root, 'bundle', 'manifest.json'),
    JSON.stringify({ builtAtMs, inputs: ['src/main.ts'], ifPresent: ['package-lock.json'] }),
  );
  const before = new Date(builtAtMs - 60_000);
  utimesSync(source, before, before);
  return { root: pathToFileURL(`${root}/`), bundle: pathToFileURL(join(root, 'bundle/')), source, lock };
}

test('the bundle runs while no source it was built from (nor the package lock) changed since', () => {
  const built = Date.now() - 10_000;
  const repo = repoWithBundle(built);
  assert.equal(freshWorkerBundle(repo.bundle, repo.root)?.href, new URL('main.mjs', repo.bundle).href, 'no lock file: fine');
  writeFileSync(repo.lock, '{}');
  const old = new Date(built - 1_000);
  utimesSync(repo.lock, old, old);
  assert.notEqual(freshWorkerBundle(repo.bundle, repo.root), null);
  utimesSync(repo.lock, new Date(), new Date());
  assert.equal(freshWorkerBundle(repo.bundle, repo.root), null, 'a newer lock file: the sources run');
});

test('an edited or deleted source, or no manifest, means the sources run', () => {
  const edited = repoWithBundle(Date.now() - 10_000);
  utimesSync(edited.source, new Date(), new Date());
  assert.equal(freshWorkerBundle(edited.bundle, edited.root), null);
  const deleted = repoWithBundle(Date.now() - 10_000);
  rmSync(deleted.source);
  assert.equal(freshWorkerBundle(deleted.bundle, deleted.root), null);
  const none = repoWithBundle(Date.now());
  rmSync(new URL('manifest.json', none.bundle));
  assert.equal(freshWorkerBundle(none.bundle, none.root), null);
});
