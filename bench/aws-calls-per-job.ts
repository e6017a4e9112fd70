/**
 * AWS calls per echo job, counted by action at the emulator (issue 11: ≤ 10 per one-shot job, ≤ 6
 * pooled), run one-shot or pooled.
 *
 * A counting proxy (test/support/counting-aws-proxy.ts) sits in front of moto and every client of
 * the system goes through it: the API and the dispatcher (one process here) and each worker process
 * (run by the test harness's ECS task runner from the task RunTask recorded). The harness itself
 * talks to moto directly, so its ListTasks/DescribeTasks/StopTask (what Fargate would do) are not
 * counted. N echo jobs are posted at a steady pace, each runs API → SUCCEEDED, and the calls made
 * from the first POST until every job's worker is done (and the dispatcher has settled its messages)
 * are divided by N.
 *
 * Pooled (`mode: 'pooled'`): echo is a pooled type (AGENT_RUNNER_POOLED_TYPES), the dispatcher hands
 * each attempt to the pool queue, and POOL_TASKS pool worker tasks, kept running by the pool service's
 * stand-in (test/support/ecs-pool-service.ts, whose RunTask/ListTasks/DescribeServices go to moto
 * directly, as ECS's scheduler is no caller of ours), take them. Pool tasks name themselves
 * `pool-worker` (AWS_SDK_UA_APP_ID), one-shot tasks `worker`. They are up and polling before the
 * count starts: what a job costs a warm pool, not what starting the pool costs.
 *
 * The intervals are the production defaults (sweep 10 s, queue depth 15 s, 20 s long polls), so the
 * background calls (idle polls, sweeps, the API's queue-depth reads) weigh as they would in service;
 * they are printed apart, as calls per second, measured over a quiet window before the jobs.
 */
import { createBackend } from '@agent-runner/shared/compose/create-backend.ts';
import { loadConfig } from '@agent-runner/shared/config/config.ts';
import { postJob } from '../test/support/api-client.ts';
import { CountingAwsProxy } from '../test/support/counting-aws-proxy.ts';
import { EcsPoolService } from '../test/support/ecs-pool-service.ts';
import { EcsTaskRunner } from '../test/support/ecs-task-runner.ts';
import { startMoto, stopChild } from '../test/support/moto.ts';
import { startSystem } from '../test/support/system.ts';

export type AwsCallMode = 'one-shot' | 'pooled';

/** Pool worker tasks in a pooled count: enough that a job at 4/s rarely waits for a busy one. */
export const POOL_TASKS = 3;

export interface AwsCallCount {
  mode: AwsCallMode;
  jobs: number;
  seconds: number;
  /** `caller Service.Action` → calls during the run (callers: `system` = API + dispatcher, `worker`, `pool-worker`). */
  calls: Map<string, number>;
  /** The same, per second, while nothing was submitted. */
  idlePerSecond: Map<string, number>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `emulatorUrl`: an emulator already running (the test suite's); by default a moto server is
 * started for the count and stopped after it.
 */
export async function countAwsCallsPerJob(
  jobs: number,
  ratePerSecond: number,
  idleSeconds: number,
  emulatorUrl?: string,
  mode: AwsCallMode = 'one-shot',
): Promise<AwsCallCount> {
  const pooled = mode === 'pooled';
  const moto = emulatorUrl ? { url: emulatorUrl, child: null } : await startMoto();
  const proxy = new CountingAwsProxy(moto.url);
  const proxyUrl = await proxy.start();
  const previousEndpoint = process.env.AGENT_RUNNER_TEST_AWS_ENDPOINT;
  process.env.AGENT_RUNNER_TEST_AWS_ENDPOINT = proxyUrl;
  // The SDK puts this in its User-Agent (`app/<id>`): the proxy splits the counts by caller.
  process.env.AWS_SDK_UA_APP_ID = 'system';
  const system = await startSystem(
    'aws',
    {
      AGENT_RUNNER_LOG_LEVEL: 'error',
      AGENT_RUNNER_SWEEP_INTERVAL_SECONDS: '10',
      AGENT_RUNNER_QUEUE_DEPTH_INTERVAL_SECONDS: '15',
      AGENT_RUNNER_HEARTBEAT_SECONDS: '10',
      AGENT_RUNNER_QUEUE_WAIT_SECONDS: '20',
      ...(pooled ? { AGENT_RUNNER_POOLED_TYPES: 'echo' } : {}),
    },
    // One task definition's env for both kinds (provision gives the pool's the one-shot worker's);
    // the task runner renames pool tasks below.
    { runTasks: false, workerEnv: { AWS_SDK_UA_APP_ID: 'worker' } },
  );
  // Fargate's part (list, describe, stop tasks) and the pool service's scheduling go straight to moto:
  // not the system's calls.
  const direct = { ...system.env, AWS_ENDPOINT_URL: moto.url };
  const tasks = new EcsTaskRunner(direct, {
    envOf: (task) => (task.startedBy === EcsPoolService.STARTED_BY ? { AWS_SDK_UA_APP_ID: 'pool-worker' } : {}),
  });
  const pool = pooled ? new EcsPoolService(direct, POOL_TASKS) : null;
  const store = await createBackend(loadConfig({ ...direct, AGENT_RUNNER_LOG_LEVEL: 'error' }));
  try {
    system.startDispatcher();
    tasks.start();
    pool?.start();
    if (pool) await poolPolling(proxy, 120_000);
    // Let start-up (first sweep and reap, first polls) pass, then measure what idling costs.
    await sleep(3000);
    proxy.reset();
    await sleep(idleSeconds * 1000);
    const idle = proxy.snapshot();
    const idlePerSecond = new Map([...idle].map(([k, v]) => [k, v / idleSeconds]));

    proxy.reset();
    const start = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < jobs; i++) {
      const due = start + (i * 1000) / ratePerSecond;
      if (due > Date.now()) await sleep(due - Date.now());
      ids.push((await postJob(system.url, { job_type: 'echo', payload: { message: `count ${i}` } })).job_id);
    }
    const deadline = Date.now() + 300_000;
    // A one-shot job is done when its worker exits; a pooled one when its pool worker deletes the
    // hand-off, its last call (after the end is recorded). Both read from here, not the emulator.
    const exited = () => [...tasks.runs.values()].filter((r) => r.exitCode !== null || r.signal !== null).length;
    const handOffsDone = () => proxy.snapshot().get('pool-worker SQS.DeleteMessage (pool)') ?? 0;
    const done = pooled ? handOffsDone : exited;
    while (done() < jobs) {
      if (Date.now() > deadline) throw new Error(`${jobs - done()} of ${jobs} jobs still running after 5 minutes`);
      await sleep(100);
    }
    // The dispatcher settles a launched job's message just after recording the launch.
    await sleep(1000);
    const calls = proxy.snapshot();
    const seconds = (Date.now() - start) / 1000;
    for (const id of ids) {
      const job = await store.jobs.get(id);
      if (job?.status !== 'SUCCEEDED') throw new Error(`job ${id} is ${job?.status ?? 'missing'}, not SUCCEEDED`);
      const taskArn = job.attempts[0]?.taskArn;
      if (pool && !(job.attempts.length === 1 && taskArn && pool.started.includes(taskArn)))
        throw new Error(`job ${id} did not run once on a pool task (${JSON.stringify(job.attempts)})`);
    }
    // Pooled: the pool's tasks and no other (none retired, no one-shot task); one-shot: one per job.
    const expected = pool ? POOL_TASKS : jobs;
    if (tasks.runs.size !== expected) throw new Error(`${tasks.runs.size} tasks ran for ${jobs} jobs (${mode}), not ${expected}`);
    return { mode, jobs, seconds, calls, idlePerSecond };
  } finally {
    await system.stop();
    await pool?.stop();
    await tasks.stop();
    await store.close();
    await proxy.stop();
    if (moto.child) await stopChild(moto.child);
    if (previousEndpoint === undefined) delete process.env.AGENT_RUNNER_TEST_AWS_ENDPOINT;
    else process.env.AGENT_RUNNER_TEST_AWS_ENDPOINT = previousEndpoint;
    delete process.env.AWS_SDK_UA_APP_ID;
  }
}

/** Waits until every pool task long-polls the pool queue through the proxy: the pool is warm. */
async function poolPolling(proxy: CountingAwsProxy, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((proxy.inFlight().get('pool-worker SQS.ReceiveMessage (pool)') ?? 0) < POOL_TASKS) {
    if (Date.now() > deadline) throw new Error(`the ${POOL_TASKS} pool tasks were not all polling after ${timeoutMs / 1000} s`);
    await sleep(200);
  }
}

/**
 * Calls made on a timer or a poll, not once per job: their number grows with the run's length (and
 * with the emulator's slowness), so they are shown apart. The reaper's listing (Query, BatchGetItem),
 * the orphaned-slot scan, DescribeTasks, the API's queue-depth reads and its cached tenant reads
 * (settings, and webhook endpoints: one Query per tenant per AGENT_RUNNER_TENANT_CACHE_SECONDS),
 * the webhook deliveries' sweep (a Query of the deliveries due), the feeds' receives, and the
 * visibility heartbeat on held messages (every third of the visibility timeout while a launch is
 * under way: on a slow emulator, often). A pool worker's: its empty long polls of the pool queue
 * (one per AGENT_RUNNER_QUEUE_WAIT_SECONDS per idle task; the receive that brings a hand-off is on the
 * job's path), and the visibility extension of the hand-off it runs (every third of the timeout).
 */
const TIMED = [
  /^system SQS\.ReceiveMessage/,
  /^system SQS\.GetQueueAttributes/,
  /^system SQS\.ChangeMessageVisibility/,
  /^system DynamoDB\.(Query|BatchGetItem) \(jobs\)/,
  /^system DynamoDB\.Scan/,
  /^system DynamoDB\.GetItem \(tenants\)/,
  /^system DynamoDB\.Query \((endpoints|deliveries)\)/,
  /^system ECS\.DescribeTasks/,
  /^pool-worker SQS\.ReceiveMessage \(.*empty\)/,
  /^pool-worker SQS\.ChangeMessageVisibility/,
];
export const isTimed = (key: string) => TIMED.some((re) => re.test(key));

/** A table: one row per `caller action`, calls per job, most first; per-job path and timed calls apart. */
export function formatAwsCallCount(count: AwsCallCount): string {
  const rows = [...count.calls].sort((a, b) => b[1] - a[1]);
  const sum = (list: [string, number][]) => list.reduce((n, [, v]) => n + v, 0);
  const perJob = (n: number) => (n / count.jobs).toFixed(2).padStart(6);
  const lines = [
    `AWS calls per ${count.mode} echo job (${count.jobs} jobs API → SUCCEEDED in ${count.seconds.toFixed(1)} s${count.mode === 'pooled' ? `, ${POOL_TASKS} warm pool tasks` : ''}, counted at the emulator):`,
  ];
  const path = rows.filter(([k]) => !isTimed(k));
  const timed = rows.filter(([k]) => isTimed(k));
  for (const [key, n] of path) lines.push(`  ${key.padEnd(52)} ${perJob(n)}  (${n})`);
  lines.push(`  ${"on each job's path".padEnd(52)} ${perJob(sum(path))}  (${sum(path)})`);
  for (const [key, n] of timed) lines.push(`  ${key.padEnd(52)} ${perJob(n)}  (${n})`);
  lines.push(`  ${'timers and polls, over the run'.padEnd(52)} ${perJob(sum(timed))}  (${sum(timed)})`);
  lines.push(`  ${'total'.padEnd(52)} ${perJob(sum(rows))}  (${sum(rows)})`);
  const idle = [...count.idlePerSecond].sort((a, b) => b[1] - a[1]);
  lines.push(`  background while idle, calls/s: ${idle.map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ') || 'none'}`);
  return lines.join('\n');
}

const IDLE_SECONDS = 21;

/** Both counts, one after the other, and their per-job paths side by side. */
export async function benchAwsCallsPerJob(jobs: number): Promise<void> {
  const counts: AwsCallCount[] = [];
  for (const mode of ['one-shot', 'pooled'] as const) {
    // An idle window longer than a 20 s long poll, so each idle poller's empty receives show.
    const count = await countAwsCallsPerJob(jobs, 4, IDLE_SECONDS, undefined, mode);
    console.log(formatAwsCallCount(count));
    counts.push(count);
  }
  console.log(`AWS calls per echo job on its path: ${counts.map((c) => `${c.mode} ${pathPerJob(c).toFixed(2)}`).join(', ')}`);
}

/** Calls on each job's path (timers and polls left out), per job. */
export function pathPerJob(count: AwsCallCount): number {
  return [...count.calls].filter(([key]) => !isTimed(key)).reduce((n, [, v]) => n + v, 0) / count.jobs;
}

if (import.meta.main) {
  await benchAwsCallsPerJob(Number(process.env.BENCH_AWS_CALL_JOBS ?? 20));
  process.exit(0);
}
