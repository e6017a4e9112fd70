/**
 * One-shot worker import time: what a worker process spends importing before it runs its job,
 * measured in fresh processes started as the process launcher starts them (this Node, with a warm
 * NODE_COMPILE_CACHE). Each run is services/worker/src/import-time.ts, a program that imports the
 * worker's entry, the backend's adapters and the job type's handler and reports the time taken.
 * `bundle`: the same program from the worker's bundle (scripts/build-worker.ts, built into a
 * temporary directory), as services/worker/src/entry.ts runs it when it is up to date.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildWorker } from '../scripts/build-worker.ts';

/** A program another process runs, not a module imported here. */
const PROBE = fileURLToPath(new URL('../services/worker/src/import-time.ts', import.meta.url));

export type WorkerVariant = 'source' | 'bundle';

export interface ImportTime {
  variant: WorkerVariant;
  backend: 'embedded' | 'aws';
  jobType: string;
  runs: number;
  /** Median wall-clock milliseconds of the imports. */
  medianMs: number;
  /** Median CPU milliseconds they used (less inflated than wall time when other processes compete). */
  medianCpuMs: number;
}

/** Builds the worker's bundle into a temporary directory; returns its import-time probe. */
export async function bundledProbe(): Promise<{ probe: string; remove(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'agent-runner-worker-bundle-'));
  await buildWorker(dir);
  return { probe: join(dir, 'import-time.mjs'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function measureWorkerImportTime(
  backend: 'embedded' | 'aws',
  jobType: string,
  runs: number,
  bundle: { probe: string } | null = null,
): ImportTime {
  const cache = mkdtempSync(join(tmpdir(), 'agent-runner-compile-cache-'));
  try {
    const once = () => {
      const run = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', bundle?.probe ?? PROBE, backend, jobType], {
        env: { PATH: process.env.PATH, NODE_COMPILE_CACHE: cache },
        encoding: 'utf8',
        timeout: 60_000,
      });
      if (run.status !== 0) throw new Error(`worker import probe failed (${run.status}): ${run.stderr}`);
      return JSON.parse(run.stdout) as { ms: number; cpuMs: number };
    };
    once(); // fills the compile cache, as the first worker on a machine (or the image build) does
    const samples = Array.from({ length: runs }, once);
    return {
      variant: bundle ? 'bundle' : 'source',
      backend,
      jobType,
      runs,
      medianMs: median(samples.map((s) => s.ms)),
      medianCpuMs: median(samples.map((s) => s.cpuMs)),
    };
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
