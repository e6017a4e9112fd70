/**
 * Fills Node's compile cache (NODE_COMPILE_CACHE) at image build time by importing every source
 * module of the services and the CLI, the lazily loaded ones included (backends, subcommands, each
 * job type's handler, the SQS / ECS / Secrets Manager adapters and their clients, the Anthropic SDK
 * behind the Claude handlers), so a container compiles none of them when it starts, whatever its job.
 * Importing starts nothing: every entry point runs only when it is the process's main module.
 */
import { flushCompileCache } from 'node:module';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SOURCE_DIRS = ['bin', 'shared/src', ...readdirSync(join(ROOT, 'services')).map((s) => `services/${s}/src`)];
/** Loaded on first use by the code, so a plain import of the modules above would miss them. */
const LAZY_PACKAGES = ['@anthropic-ai/sdk'];

function sourceModules(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts') && !file.endsWith('.d.ts'))
    .map((file) => join(ROOT, dir, file));
}

const self = fileURLToPath(import.meta.url);
const modules = SOURCE_DIRS.flatMap(sourceModules).filter((file) => file !== self);
for (const file of modules) {
  try {
    await import(pathToFileURL(file).href);
  } catch (error) {
    throw new Error(`warming the compile cache: ${relative(ROOT, file)} failed to load`, { cause: error });
  }
}
for (const name of LAZY_PACKAGES) await import(name);
// The worker's bundle (scripts/build-worker.ts), when built: what a worker really loads.
const bundleDir = join(ROOT, '.build/worker');
const bundle = existsSync(bundleDir) ? readdirSync(bundleDir).filter((file) => file.endsWith('.mjs')) : [];
for (const file of bundle) await import(pathToFileURL(join(bundleDir, file)).href);
flushCompileCache();
process.stderr.write(`compile cache: ${modules.length} source modules and ${bundle.length} worker bundle files loaded\n`);
