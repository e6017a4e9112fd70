/**
 * Run as a program, never imported: `node services/worker/src/import-time.ts <embedded|aws> <job
 * type> [--modules]`. In this fresh process it imports what a one-shot worker loads before it runs
 * a job of that type on that backend (its entry, the backend's adapters, the type's handler) and
 * prints one JSON line: `ms`, the time those imports took, `cpuMs`, the CPU time they used (a
 * figure that other processes on a busy machine inflate less), and with --modules the URL of every
 * module loaded. `npm run bench` (bench/worker-import-time.ts) and
 * test/integration/worker-startup.test.ts run it.
 *
 * Only Node's own modules are imported statically, so the timer sees every module the worker loads.
 */
import { registerHooks } from 'node:module';

// bin/warm-compile-cache.ts imports every module: this one acts only when it is the program.
if (import.meta.main) await measure();

async function measure(): Promise<void> {
  const [backend, jobType, ...flags] = process.argv.slice(2);
  if ((backend !== 'embedded' && backend !== 'aws') || !jobType) {
    process.stderr.write('usage: import-time.ts <embedded|aws> <job type> [--modules]\n');
    return process.exit(2);
  }
  const modules: string[] = [];
  if (flags.includes('--modules')) {
    registerHooks({
      load(url, context, next) {
        modules.push(url);
        return next(url, context);
      },
    });
  }

  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  await import('./main.ts');
  // What createBackend (shared/src/compose/create-backend.ts) imports for the configured backend.
  if (backend === 'aws') await import('@agent-runner/shared/adapters/aws/aws-backend.ts');
  else await import('@agent-runner/shared/adapters/embedded/embedded-backend.ts');
  const { loadHandler } = await import('./handlers/registry.ts');
  if (!(await loadHandler(jobType))) {
    process.stderr.write(`import-time.ts: no handler for job type "${jobType}"\n`);
    return process.exit(2);
  }
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuAtStart);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  process.stdout.write(`${JSON.stringify({ ms, cpuMs, ...(flags.includes('--modules') ? { modules } : {}) })}\n`);
}
