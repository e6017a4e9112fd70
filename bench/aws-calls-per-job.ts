/**
 * AWS calls per one-shot echo job, counted by action at the emulator (issue 11: ≤ 10 per job).
 *
 * A counting proxy (test/support/counting-aws-proxy.ts) sits in front of moto and every client of
 * the system goes through it: the API and the dispatcher (one process here) and each worker process
 * (run by the test harness's ECS task runner from the task RunTask recorded). The harness itself
 * talks to moto directly, so its ListTasks/DescribeTasks/StopTask (what Fargate would do) are not
 * counted. N echo jobs are posted at a steady pace, each runs API → SUCCEEDED, and the calls made
 * from the first POST until every worker has exited (and the dispatcher has settled its messages)
 * are divided by N.
 *
 * The intervals are the production defaults (sweep 10 s, queue depth 15 s, 20 s long polls), so the
 * background calls (idle polls, sweeps, the API's queue-depth reads) weigh as they would in service;
 * they are printed apart, as calls per second, measured over a quiet window before the jobs.
 */
import { createBackend } from '@agent-runner/shared/compose/create-backend.ts';
import { loadConfig } from '@agent-runner/shared/config/config.ts';
import { postJob } from '../test/support/api-client.ts';
import { CountingAwsProxy } from '../test/support/counting-aws-proxy.ts';
import { EcsTaskRunner } from '../test/support/ecs-task-runner.ts';
import { startMoto, stopChild } from '../test/support/moto.ts';
import { startSystem } from '../test/support/system.ts';

export interface AwsCallCount {
  jobs: number;
  seconds: number;
  /** `caller Service.Action` → calls during the run (callers: `system` = API + dispatcher, `worker`). */
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
): Promise<AwsCallCount> {
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
    },
    { runTasks: false, workerEnv: { AWS_SDK_UA_APP_ID: 'worker' } },
  );
  // Fargate's part (list, describe, stop tasks) goes straight to moto: not the system's calls.
  const tasks = new EcsTaskRunner({ ...system.env, AWS_ENDPOINT_URL: moto.url });
  const direct = await createBackend(loadConfig({ ...system.env, AWS_ENDPOINT_URL: moto.url, AGENT_RUNNER_LOG_LEVEL: 'error' }));
  try {
    system.startDispatcher();
    tasks.start();
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
    const exited = () => [...tasks.runs.values()].filter((r) => r.exitCode !== null || r.signal !== null).length;
    while (exited() < jobs) {
      if (Date.now() > deadline) throw new Error(`${jobs - exited()} workers still running after 5 minutes`);
      await sleep(100);
    }
    // The dispatcher settles a launched job's message just after recording the launch.
    await sleep(1000);
    const calls = proxy.snapshot();
    const seconds = (Date.now() - start) / 1000;
    for (const id of ids) {
      const job = await direct.jobs.get(id);
      if (job?.status !== 'SUCCEEDED') throw new Error(`job ${id} is ${job?.status ?? 'missing'}, not SUCCEEDED`);
    }
    if (tasks.runs.size !== jobs) throw new Error(`${tasks.runs.size} tasks ran for ${jobs} jobs`);
    return { jobs, seconds, calls, idlePerSecond };
  } finally {
    await system.stop();
    await tasks.stop();
    await direct.close();
    await proxy.stop();
    if (moto.child) await stopChild(moto.child);
    if (previousEndpoint === undefined) delete process.env.AGENT_RUNNER_TEST_AWS_ENDPOINT;
    else process.env.AGENT_RUNNER_TEST_AWS_ENDPOINT = previousEndpoint;
    delete process.env.AWS_SDK_UA_APP_ID;
  }
}

/**
 * Calls made on a timer or a poll, not once per job: their number grows with the run's length (and
 * with the emulator's slowness), so they are shown apart. The reaper's listing (Query, BatchGetItem),
 * the orphaned-slot scan, DescribeTasks, the API's queue-depth reads and its cached tenant reads
 * (settings, and webhook endpoints: one Query per tenant per AGENT_RUNNER_TENANT_CACHE_SECONDS),
 * the webhook deliveries' sweep (a Query of the deliveries due), the feeds' receives, and the
 * visibility heartbeat on held messages (every third of the visibility timeout while a launch is
 * under way: on a slow emulator, often).
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
];
export const isTimed = (key: string) => TIMED.some((re) => re.test(key));

/** A table: one row per `caller action`, calls per job, most first; per-job path and timed calls apart. */
export function formatAwsCallCount(count: AwsCallCount): string {
  const rows = [...count.calls].sort((a, b) => b[1] - a[1]);
  const sum = (list: [string, number][]) => list.reduce((n, [, v]) => n + v, 0);
  const perJob = (n: number) => (n / count.jobs).toFixed(2).padStart(6);
  const lines = [
    `AWS calls per one-shot echo job (${count.jobs} jobs API → SUCCEEDED in ${count.seconds.toFixed(1)} s, counted at the emulator):`,
  ];
  const path = rows.filter(([k]) => !isTimed(k));
  const timed = rows.filter(([k]) => isTimed(k));
  for (const [key, n] of path) lines.push(`  ${key.padEnd(46)} ${perJob(n)}  (${n})`);
  lines.push(`  ${"on each job's path".padEnd(46)} ${perJob(sum(path))}  (${sum(path)})`);
  for (const [key, n] of timed) lines.push(`  ${key.padEnd(46)} ${perJob(n)}  (${n})`);
  lines.push(`  ${'timers and polls, over the run'.padEnd(46)} ${perJob(sum(timed))}  (${sum(timed)})`);
  lines.push(`  ${'total'.padEnd(46)} ${perJob(sum(rows))}  (${sum(rows)})`);
  const idle = [...count.idlePerSecond].sort((a, b) => b[1] - a[1]);
  lines.push(`  background while idle, calls/s: ${idle.map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ') || 'none'}`);
  return lines.join('\n');
}

if (import.meta.main) {
  const count = await countAwsCallsPerJob(Number(process.env.BENCH_AWS_CALL_JOBS ?? 20), 4, 10);
  console.log(formatAwsCallCount(count));
  process.exit(0);
}
