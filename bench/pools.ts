/**
 * Warm pools against one-shot workers, end to end on the embedded backend (issue 11): N echo jobs
 * submitted over HTTP to a running system, each run by a real worker to SUCCEEDED, once with
 * one-shot isolation and once pooled, side by side.
 *
 * - jobs/s: N over the span from the first job's creation to the last one's finish;
 * - queued → running: each job's `startedAt − createdAt` (the worker's conditional start), p50/p99.
 *
 * Jobs are submitted as fast as BENCH_POOL_CLIENTS concurrent HTTP clients get answers, so a run
 * that cannot keep up shows it in its latency (jobs wait in the queue), one that can shows the
 * hand-off's own latency. Settings that are not under test are opened up the same way for both
 * runs: the global limit (AGENT_RUNNER_MAX_RUNNING) and launch pacing (pooled hand-offs are not
 * paced; one-shot launches are, so pacing is widened to the machine's spawn rate, not Fargate's).
 */
import { postJob } from '../test/support/api-client.ts';
import { startSystem } from '../test/support/system.ts';

const JOBS = Number(process.env.BENCH_POOL_JOBS ?? 1000);
const ONE_SHOT_JOBS = Number(process.env.BENCH_POOL_ONE_SHOT_JOBS ?? JOBS);
const CLIENTS = Number(process.env.BENCH_POOL_CLIENTS ?? 25);
const POOL_SIZE = process.env.BENCH_POOL_SIZE ?? '4';

export interface PoolBenchRow {
  isolation: 'one_shot' | 'pooled';
  jobs: number;
  'jobs/s': number;
  'submitted/s': number;
  'queued→running p50 ms': number;
  'queued→running p99 ms': number;
  'max ms': number;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function run(isolation: 'one_shot' | 'pooled', jobs: number): Promise<PoolBenchRow> {
  const system = await startSystem('embedded', {
    AGENT_RUNNER_LOG_LEVEL: 'error',
    AGENT_RUNNER_SWEEP_INTERVAL_SECONDS: '3600',
    AGENT_RUNNER_HEARTBEAT_SECONDS: '10',
    AGENT_RUNNER_MAX_RUNNING: '64',
    AGENT_RUNNER_LAUNCH_RATE: '1000',
    AGENT_RUNNER_LAUNCH_BURST: '100',
    ...(isolation === 'pooled'
      ? { AGENT_RUNNER_POOLED_TYPES: 'echo', AGENT_RUNNER_POOL_MIN: POOL_SIZE, AGENT_RUNNER_POOL_MAX: POOL_SIZE }
      : {}),
  });
  try {
    system.startDispatcher();
    // One job through first: the compile cache and the pool are warm, as in steady use.
    await finished(system, [(await postJob(system.url, { job_type: 'echo', payload: { message: 'warm-up' } })).job_id]);
    const ids: string[] = [];
    const submitStart = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (next < jobs) {
          const i = next++;
          ids.push((await postJob(system.url, { job_type: 'echo', payload: { message: `bench ${i}` } })).job_id);
        }
      }),
    );
    const submitSeconds = (Date.now() - submitStart) / 1000;
    const done = await finished(system, ids);
    const created = done.map((j) => Date.parse(j.createdAt));
    const span = (Math.max(...done.map((j) => Date.parse(j.finishedAt!))) - Math.min(...created)) / 1000;
    const latencies = done.map((j) => Date.parse(j.startedAt!) - Date.parse(j.createdAt)).sort((a, b) => a - b);
    return {
      isolation,
      jobs,
      'jobs/s': Number((jobs / span).toFixed(1)),
      'submitted/s': Number((jobs / submitSeconds).toFixed(1)),
      'queued→running p50 ms': percentile(latencies, 50),
      'queued→running p99 ms': percentile(latencies, 99),
      'max ms': latencies.at(-1)!,
    };
  } finally {
    await system.stop();
  }
}

/** Waits for every job to succeed (reading the store, not the API, so waiting loads nothing it measures). */
async function finished(system: Awaited<ReturnType<typeof startSystem>>, ids: string[]) {
  const wanted = new Set(ids);
  const deadline = Date.now() + 900_000;
  for (;;) {
    const done = [];
    let cursor: string | undefined;
    do {
      const page = await system.backend.jobs.list({ status: 'SUCCEEDED', limit: 1000, ...(cursor ? { cursor } : {}) });
      done.push(...page.jobs.filter((j) => wanted.has(j.jobId)));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    if (done.length === wanted.size) return done;
    if (Date.now() > deadline) throw new Error(`${wanted.size - done.length} of ${wanted.size} jobs not done after 15 minutes`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Both rows, printed as they come and then side by side. */
export async function benchPools(): Promise<PoolBenchRow[]> {
  const rows: PoolBenchRow[] = [];
  for (const [isolation, jobs] of [
    ['pooled', JOBS],
    ['one_shot', ONE_SHOT_JOBS],
  ] as const) {
    if (jobs <= 0) continue;
    const row = await run(isolation, jobs);
    rows.push(row);
    console.log(JSON.stringify(row));
  }
  console.log(`\nWarm pools vs one-shot workers (embedded, echo, ${CLIENTS} HTTP clients, pool of ${POOL_SIZE}):`);
  console.table(rows);
  return rows;
}

if (import.meta.main) {
  await benchPools();
  process.exit(0);
}
