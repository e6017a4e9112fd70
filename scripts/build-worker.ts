/**
 * Bundles the one-shot worker (services/worker/src/main.ts) with esbuild into `.build/worker/`:
 * one ES module for what every job loads, and a chunk per lazily imported part (each job type's
 * handler, each backend's adapters, the Anthropic SDK, the AWS clients), so a worker still loads
 * only what its job needs — as a few files instead of ~200 modules (zod alone is 95, its entry
 * importing all 64 locales, which the bundle leaves out). `services/worker/src/entry.ts` runs the
 * bundle when it is up to date with the sources, else the sources themselves.
 *
 * `npm start`, the Docker image and the bench run it; `npm test` does not need it.
 * `node scripts/build-worker.ts [outdir]` (default `.build/worker`).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DEFAULT_OUTDIR = resolve(ROOT, '.build/worker');
/** Written last: names every input, so a worker can tell whether the bundle is older than its sources. */
export const MANIFEST = 'manifest.json';

export interface WorkerBundle {
  outdir: string;
  /** Output files (relative to outdir). */
  files: string[];
  /** Source files that went in (relative to the repository root), node_modules excluded. */
  inputs: string[];
}

export async function buildWorker(outdir: string = DEFAULT_OUTDIR): Promise<WorkerBundle> {
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { main: 'services/worker/src/main.ts', 'import-time': 'services/worker/src/import-time.ts' },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    outExtension: { '.js': '.mjs' },
    // CommonJS dependencies (pino and its streams) call require(): give the ES module one.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    minifySyntax: true,
    minifyWhitespace: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  });
  const files = Object.keys(result.metafile.outputs).map((file) => relative(outdir, resolve(ROOT, file)));
  const inputs = Object.keys(result.metafile.inputs).filter((file) => !file.includes('node_modules/'));
  // A changed dependency makes the bundle stale too: its lock file changes (checked where present;
  // the Docker image has none).
  writeFileSync(resolve(outdir, MANIFEST), JSON.stringify({ builtAtMs: Date.now(), inputs, ifPresent: ['package-lock.json'] }));
  return { outdir, files, inputs };
}

if (import.meta.main) {
  const started = performance.now();
  const bundle = await buildWorker(process.argv[2] ? resolve(process.argv[2]) : DEFAULT_OUTDIR);
  process.stderr.write(
    `worker bundle: ${bundle.files.length} files in ${relative(process.cwd(), bundle.outdir) || '.'} from ${bundle.inputs.length} sources (${Math.round(performance.now() - started)} ms)\n`,
  );
}
