/**
 * `npm run bench`: dispatch throughput and latency on both backends.
 *
 * For each backend it queues N echo jobs over HTTP with no dispatcher running, then starts one
 * dispatcher and measures, per job, queued → launch recorded (`attempts[0].launchedAt`). Workers
 * are not what is measured here: on the embedded backend the process launcher spawns `true`
 * (a real process, which exits at once), on the emulator RunTask records a task that never runs
 * (the test harness's task runner is off).
 * The reaper is slowed so it does not re-launch those "lost" workers mid-run.
 *
 * Two runs per backend: unpaced (token bucket wide open: the dispatcher's own ceiling) and paced
 * at the default AGENT_RUNNER_LAUNCH_RATE (what production launches at).
 *
 * First, the one-shot worker's import time (bench/worker-import-time.ts): what every job pays
 * before its handler runs, the median of BENCH_WORKER_IMPORT_RUNS fresh processes.
 */
import { postJob } from '../test/support/api-client.ts';
import { startSystem, backendNames, type BackendName } from '../test/support/system.ts';
import { bundledProbe, measureWorkerImportTime } from './worker-import-time.ts';
import { benchAwsCallsPerJob } from './aws-calls-per-job.ts';

const BACKLOG_JOBS = Number(process.env.BENCH_JOBS ?? 1000);
const STEADY_JOBS = Number(process.env.BENCH_STEADY_JOBS ?? 300);
const STEADY_RATE = Number(process.env.BENCH_STEADY_RATE ?? 15);
const WORKER_IMPORT_RUNS = Number(process.env.BENCH_WORKER_IMPORT_RUNS ?? 21);

interface Result {
  backend: BackendName;
  run: string;
  jobs: number;
  launchesPerSecond: number;
  latencies: number[];
}

const quiet = { AGENT_RUNNER_SWEEP_INTERVAL_SECONDS: '3600', AGENT_RUNNER_WORKER_COMMAND: 'true', AGENT_RUNNER_LOG_LEVEL: 'error' };

/**
 * Waits until every job has a recorded launch; returns [queued→launched ms, launched-at ms] per job.
 * Progress is read from the test system's in-process launcher (it counts what went through
 * RunTask / spawn), so waiting puts no load on the emulator; the records are read once at the end
 * (launched jobs stay DISPATCHED: their workers never run). Reading every launched record each
 * second instead made the emulator, not the dispatcher, what a 1,000-job run measured.
 */
async function launches(system: Awaited<ReturnType<typeof startSystem>>, ids: string[]): Promise<{ latency: number; at: number }[]> {
  const wanted = new Set(ids);
  const deadline = Date.now() + 600_000;
  const launched = () => system.launcher.launches.filter((l) => wanted.has(l.jobId)).length;
  while (launched() < wanted.size) {
    if (Date.now() > deadline) throw new Error(`${wanted.size - launched()} jobs not launched after 10 minutes`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const seen = new Map<string, { latency: number; at: number }>();
  // A launch is recorded on the job just after RunTask returns: the last few may lag a moment.
  while (seen.size < wanted.size) {
    if (Date.now() > deadline) throw new Error(`${wanted.size - seen.size} launches not recorded after 10 minutes`);
    let cursor: string | undefined;
    do {
      const page = await system.backend.jobs.list({ status: 'DISPATCHED', limit: 100, ...(cursor ? { cursor } : {}) });
      for (const job of page.jobs) {
        const launchedAt = job.attempts[0]?.launchedAt;
        if (!wanted.has(job.jobId) || !launchedAt || seen.has(job.jobId)) continue;
        seen.set(job.jobId, { latency: Date.parse(launchedAt) - Date.parse(job.createdAt), at: Date.parse(launchedAt) });
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    if (seen.size < wanted.size) await new Promise((r) => setTimeout(r, 200));
  }
  return [...seen.values()];
}

/** A backlog of N queued jobs, then one unpaced dispatcher: how fast can it launch? */
async function backlog(backend: BackendName): Promise<Result> {
  const system = await startSystem(
    backend,
    { ...quiet, AGENT_RUNNER_MAX_RUNNING: '100000', AGENT_RUNNER_LAUNCH_RATE: '100000', AGENT_RUNNER_LAUNCH_BURST: '100000' },
    { runTasks: false },
  );
  try {
    const ids: string[] = [];
    for (let i = 0; i < BACKLOG_JOBS; i += 25) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(25, BACKLOG_JOBS - i) }, (_, j) =>
          postJob(system.url, { job_type: 'echo', payload: { message: `bench ${i + j}` } }),
        ),
      );
      ids.push(...batch.map((b) => b.job_id));
    }
    const start = Date.now();
    system.startDispatcher({ visibilityTimeoutSeconds: 300 });
    const seen = await launches(system, ids);
    const last = Math.max(...seen.map((s) => s.at));
    return {
      backend,
      run: `backlog of ${BACKLOG_JOBS}, unpaced`,
      jobs: ids.length,
      launchesPerSecond: ids.length / ((last - start) / 1000),
      latencies: seen.map((s) => s.at - start),
    };
  } finally {
    await system.stop();
  }
}

/** Jobs arriving at a steady rate with the default pacing: queued → launched as a user sees it. */
async function steady(backend: BackendName): Promise<Result> {
  const system = await startSystem(backend, { ...quiet, AGENT_RUNNER_MAX_RUNNING: '100000' }, { runTasks: false });
  try {
    system.startDispatcher({ visibilityTimeoutSeconds: 300 });
    const ids: string[] = [];
    const start = Date.now();
    for (let i = 0; i < STEADY_JOBS; i++) {
      const due = start + (i * 1000) / STEADY_RATE;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      ids.push((await postJob(system.url, { job_type: 'echo', payload: { message: `steady ${i}` } })).job_id);
    }
    const seen = await launches(system, ids);
    const span = (Math.max(...seen.map((s) => s.at)) - Math.min(...seen.map((s) => s.at))) / 1000;
    return {
      backend,
      run: `steady ${STEADY_RATE}/s, default pacing`,
      jobs: ids.length,
      launchesPerSecond: (ids.length - 1) / span,
      latencies: seen.map((s) => s.latency),
    };
  } finally {
    await system.stop();
  }
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

function row(r: Result) {
  const sorted = [...r.latencies].sort((a, b) => a - b);
  return {
    backend: r.backend,
    run: r.run,
    jobs: r.jobs,
    'launches/s': Number(r.launchesPerSecond.toFixed(1)),
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.at(-1),
  };
}

const bundle = await bundledProbe();
const importTimes = (
  [
    ['embedded', 'echo'],
    ['embedded', 'claude_chat'],
    ['aws', 'echo'],
  ] as const
).flatMap(([backend, jobType]) => [null, bundle].map((b) => measureWorkerImportTime(backend, jobType, WORKER_IMPORT_RUNS, b)));
bundle.remove();
for (const t of importTimes) {
  console.log(
    `one-shot worker import time (${t.backend}, ${t.jobType}, ${t.variant}): median of ${t.runs}: ${t.medianMs.toFixed(1)} ms (CPU ${t.medianCpuMs.toFixed(1)} ms)`,
  );
}

// One-shot and pooled (on the warm pool's queue): both rows per job by action.
if (backendNames().includes('aws')) await benchAwsCallsPerJob(Number(process.env.BENCH_AWS_CALL_JOBS ?? 20));

const results: Result[] = [];
for (const backend of backendNames()) {
  for (const run of [backlog, steady]) {
    const result = await run(backend);
    results.push(result);
    console.log(JSON.stringify(row(result)));
  }
}
console.log(
  '\nDispatch benchmark (one dispatcher). Latency: backlog = dispatcher start → launch recorded; steady = queued → launch recorded. ms.',
);
console.table(results.map(row));
await (await import('./pools.ts')).benchPools(); // warm pools vs one-shot, end to end (bench/pools.ts)
await (await import('./claude-admission.ts')).benchClaudeAdmission();
process.exit(0);
