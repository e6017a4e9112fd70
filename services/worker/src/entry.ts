/**
 * The one-shot worker's program (what the process launcher and the ECS task definition run): the
 * bundle scripts/build-worker.ts made, when it is up to date with the sources — a worker then
 * imports a few files instead of ~200 modules — else main.ts from the sources, the same code.
 */
import { freshWorkerBundle } from './worker-bundle.ts';

// bin/warm-compile-cache.ts imports every module: this one acts only when it is the program.
if (import.meta.main) {
  const bundle = freshWorkerBundle();
  const { main } = (await import(bundle ? bundle.href : './main.ts')) as typeof import('./main.ts');
  process.exitCode = await main(process.env);
}
