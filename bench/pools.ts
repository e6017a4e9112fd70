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
import { randomUUID } from 'node:crypto';
import { startSystem } from '../test/support/system.ts';

const JOBS = Number(process.env.BENCH_POOL_JOBS ?? 1000);
const ONE_SHOT_JOBS = Number(process.env.BENCH_POOL_ONE_SHOT_JOBS ?? JOBS);
const CLIENTS = Number(process.env.BENCH_POOL_CLIENTS ?? 25);
const POOL_SIZE = process.env.BENCH_POOL_SIZE ?? '4';
/** The steady runs: jobs arriving at a rate each isolation keeps up with, so latency is the hand-off's, not a backlog's. */
const STEADY_JOBS = Number(process.env.BENCH_POOL_STEADY_JOBS ?? 300);
const POOLED_STEADY_RATE = Number(process.env.BENCH_POOL_STEADY_RATE ?? 40);
const ONE_SHOT_STEADY_RATE = Number(process.env.BENCH_POOL_ONE_SHOT_STEADY_RATE ?? 4);

export interface PoolBenchRow {
  isolation: 'one_shot' | 'pooled';
  arrival: string;
  jobs: number;
  'jobs/s': number;
  'submitted/s': number;
  'queued→running p50 ms': number;
  'queued→running p99 ms': number;
  'max ms': number;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/**
 * POST /jobs with an Idempotency-Key, tried again on a dropped connection (a keep-alive socket the
 * server closed as the request went out): the retry cannot create a second job.
 */
async function submit(url: string, i: number): Promise<string> {
  const key = randomUUID();
  for (let tries = 1; ; tries++) {
    try {
      const res = await fetch(`${url}/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify({ job_type: 'echo', payload: { message: `bench ${i}` } }),
      });
      if (res.status !== 202 && res.status !== 200) throw new Error(`POST /jobs answered ${res.status}: ${await res.text()}`);
      return ((await res.json()) as { job_id: string }).job_id;
    } catch (error) {
      if (tries >= 3 || !(error instanceof TypeError)) throw error;
    }
  }
}

/** `rate`: jobs per second arriving from one client; null: as fast as CLIENTS clients get answers. */
async function run(isolation: 'one_shot' | 'pooled', jobs: number, rate: number | null): Promise<PoolBenchRow> {
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
    await finished(system, [await submit(system.url, -1)]);
    const ids: string[] = [];
    const submitStart = Date.now();
    if (rate === null) {
      let next = 0;
      await Promise.all(
        Array.from({ length: CLIENTS }, async () => {
          while (next < jobs) ids.push(await submit(system.url, next++));
        }),
      );
    } else {
      const pending: Promise<void>[] = [];
      for (let i = 0; i < jobs; i++) {
        const due = submitStart + (i * 1000) / rate;
        if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
        pending.push(submit(system.url, i).then((id) => void ids.push(id)));
      }
      await Promise.all(pending);
    }
    const submitSeconds = (Date.now() - submitStart) / 1000;
    const done = await finished(system, ids);
    const created = done.map((j) => Date.parse(j.createdAt));
    const span = (Math.max(...done.map((j) => Date.parse(j.finishedAt!))) - Math.min(...created)) / 1000;
    const latencies = done.map((j) => Date.parse(j.startedAt!) - Date.parse(j.createdAt)).sort((a, b) => a - b);
    return {
      isolation,
      arrival: rate === null ? `${CLIENTS} clients, flat out` : `steady ${rate}/s`,
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

/**
 * Waits for every job to succeed, then reads them once. Waiting follows the jobs in submission
 * order, one store read per check, so it takes almost nothing from the process under test (reading
 * every finished record each round took ~5 % of its CPU).
 */
async function finished(system: Awaited<ReturnType<typeof startSystem>>, ids: string[]) {
  const deadline = Date.now() + 900_000;
  for (let i = 0; i < ids.length; ) {
    const job = await system.backend.jobs.get(ids[i]!);
    if (job?.status === 'SUCCEEDED') {
      i++;
      continue;
    }
    if (job?.finishedAt) throw new Error(`job ${job.jobId} ended ${job.status}: ${JSON.stringify(job.error)}`);
    if (Date.now() > deadline) throw new Error(`${ids.length - i} of ${ids.length} jobs not done after 15 minutes`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return await Promise.all(ids.map(async (id) => (await system.backend.jobs.get(id))!));
}

/** Both rows, printed as they come and then side by side. */
export async function benchPools(): Promise<PoolBenchRow[]> {
  const rows: PoolBenchRow[] = [];
  for (const [isolation, jobs, rate] of [
    ['pooled', JOBS, null],
    ['one_shot', ONE_SHOT_JOBS, null],
    ['pooled', STEADY_JOBS, POOLED_STEADY_RATE],
    ['one_shot', Math.min(STEADY_JOBS, ONE_SHOT_STEADY_RATE * 30), ONE_SHOT_STEADY_RATE],
  ] as const) {
    if (jobs <= 0) continue;
    const row = await run(isolation, jobs, rate);
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
