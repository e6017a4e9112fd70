import { readFileSync, statSync } from 'node:fs';

/** Where scripts/build-worker.ts writes the bundle, from this file. */
export const BUNDLE_DIR = new URL('../../../.build/worker/', import.meta.url);
const REPO_ROOT = new URL('../../../', import.meta.url);

/**
 * The bundled worker's entry (scripts/build-worker.ts), when it exists and none of the files it was
 * built from (its manifest lists them, and the package lock) changed since: else null,
 * and the sources run. ~100 stat calls, about a millisecond.
 */
export function freshWorkerBundle(dir: URL = BUNDLE_DIR, root: URL = REPO_ROOT): URL | null {
  try {
    const manifest = JSON.parse(readFileSync(new URL('manifest.json', dir), 'utf8')) as {
      builtAtMs: number;
      inputs: string[];
      ifPresent: string[];
    };
    for (const input of manifest.inputs) {
      if (statSync(new URL(input, root)).mtimeMs > manifest.builtAtMs) return null;
    }
    for (const input of manifest.ifPresent) {
      const stat = statSync(new URL(input, root), { throwIfNoEntry: false });
      if (stat && stat.mtimeMs > manifest.builtAtMs) return null;
    }
    const main = new URL('main.mjs', dir);
    statSync(main);
    return main;
  } catch {
    return null;
  }
}
