import { hostname } from 'node:os';
import { ConfigError, loadConfig, type Config } from '@agent-runner/shared/config/config.ts';
import { createBackend } from '@agent-runner/shared/compose/create-backend.ts';
import { systemClock } from '@agent-runner/shared/domain/ids.ts';
import { createLogger, type Logger } from '@agent-runner/shared/observability/logger.ts';
import type { Backend } from '@agent-runner/shared/compose/backend.ts';
import type { PoolQueue, ReceivedHandOff } from '@agent-runner/shared/ports/pool-queue.ts';
import { isEntryPoint } from '@agent-runner/shared/runtime/is-entry-point.ts';
import { ecsTaskArn } from './ecs-task-arn.ts';
import { runJobAttempt, type WorkerOutcome } from './run-job-attempt.ts';

/**
 * Outcomes after which the attempt's fate is on the record (or was never this hand-off's to decide):
 * the hand-off is deleted. After `stopped` (SIGTERM mid-job) and a crash nothing durable was written:
 * the message is left to come back, and whoever takes it finds the attempt not startable (the reaper
 * has it), so it is deleted then.
 */
const SETTLED: ReadonlySet<WorkerOutcome> = new Set(['succeeded', 'requeued', 'failed', 'not-started', 'abandoned']);

interface Deps {
  config: Config;
  backend: Backend;
  queue: PoolQueue;
  log: Logger;
  workerId: string;
  taskArn: string | null;
}

/**
 * A warm pool's worker on AWS: one task of the pool's ECS service, long-polling the pool queue and
 * running each hand-off `{ jobId, attempt }` through `runJobAttempt` — the one-shot worker's code, so
 * the conditional start (which records this task's ARN), heartbeats, deadline, cancellation, usage
 * and events are the same — one at a time. Its backend and loaded handlers are reused from job to
 * job. The hand-off stays hidden while the attempt runs (its visibility is extended) and is deleted
 * only once the attempt's end is durable. It retires (exits 0; the ECS service starts another) after
 * AGENT_RUNNER_POOL_RECYCLE_AFTER_JOBS jobs, above AGENT_RUNNER_POOL_MAX_RSS_MB, or after an attempt
 * whose handler was aborted (cancelled, timed out: it may still be running code that ignored its
 * signal). SIGTERM (ECS stopping the task) stops the job as a one-shot worker does, then exits.
 */
export async function main(env: Record<string, string | undefined>): Promise<number> {
  let config;
  try {
    config = loadConfig(env);
    if (!config.aws?.poolQueueUrl)
      throw new ConfigError(['AGENT_RUNNER_POOL_QUEUE_URL: required by a pool worker (the queue it takes jobs from)']);
  } catch (error) {
    process.stderr.write(`agent-runner pool worker: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  const taskArn = await ecsTaskArn(env);
  const log = createLogger('worker', config.logLevel).child({ pool_worker: process.pid, ...(taskArn ? { task_arn: taskArn } : {}) });
  const backend = await createBackend(config);
  const queue = backend.poolQueue;
  if (!queue) {
    process.stderr.write('agent-runner pool worker: this backend has no pool queue\n');
    await backend.close();
    return 2;
  }
  const deps: Deps = {
    config,
    backend,
    queue,
    log,
    workerId: env.AGENT_RUNNER_WORKER_ID ?? taskArn ?? `${hostname()}:${process.pid}`,
    taskArn,
  };
  const leaving = new AbortController();
  let current: AbortController | null = null;
  const onSignal = () => {
    current?.abort(new Error('worker told to stop'));
    leaving.abort(new Error('worker told to stop'));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  log.info({ queue: queue.name }, 'pool worker ready');
  let jobsRun = 0;
  try {
    while (!leaving.signal.aborted) {
      const handOff = await receiveOne(deps, leaving.signal);
      if (!handOff) continue;
      const stop = new AbortController();
      current = stop;
      const { aborted, outcome } = await runHandOff(deps, handOff, stop.signal);
      current = null;
      // A stale hand-off (an attempt already retried, or cancelled) ran nothing: not a job to count.
      if (outcome !== 'not-started') jobsRun++;
      const rssMb = process.memoryUsage.rss() / (1024 * 1024);
      const why = aborted
        ? 'its last job was aborted'
        : jobsRun >= config.pool.recycleAfterJobs
          ? `it ran ${jobsRun} jobs (AGENT_RUNNER_POOL_RECYCLE_AFTER_JOBS)`
          : rssMb > config.pool.maxRssMb
            ? `its memory is ${Math.round(rssMb)} MB (AGENT_RUNNER_POOL_MAX_RSS_MB)`
            : null;
      if (why) {
        log.info({ jobs_run: jobsRun, rss_mb: Math.round(rssMb) }, `pool worker retiring: ${why}`);
        break;
      }
    }
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await backend.close();
    log.flush();
  }
  return 0;
}

/** One hand-off, or null (an empty poll, a failed one after a pause, or leaving). */
async function receiveOne(deps: Deps, leaving: AbortSignal): Promise<ReceivedHandOff | null> {
  const { config, queue, log } = deps;
  try {
    return await queue.receive(config.aws!.queueWaitSeconds, config.dispatch.visibilityTimeoutSeconds, leaving);
  } catch (error) {
    // Aborted by SIGTERM: a message the poll took anyway comes back after its visibility timeout.
    if (leaving.aborted) return null;
    log.warn({ err: error }, 'could not poll the pool queue; trying again shortly');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    return null;
  }
}

/** Runs one hand-off's attempt, keeping the message hidden meanwhile; deletes it once its end is settled. */
async function runHandOff(
  deps: Deps,
  handOff: ReceivedHandOff,
  stopSignal: AbortSignal,
): Promise<{ aborted: boolean; outcome: WorkerOutcome | 'crashed' }> {
  const { backend, queue, log } = deps;
  const { jobId, attempt, receipt } = handOff;
  // Beat as often as the dispatcher that handed it off expects (its reaper's judgement).
  const config = handOff.heartbeatSeconds
    ? { ...deps.config, dispatch: { ...deps.config.dispatch, heartbeatSeconds: handOff.heartbeatSeconds } }
    : deps.config;
  const visibility = config.dispatch.visibilityTimeoutSeconds;
  // Extended every third of the timeout, so two missed extensions still leave it hidden.
  const keepHidden = setInterval(
    () => {
      queue.extend(receipt, visibility).catch((error: unknown) => log.warn({ err: error, job_id: jobId }, 'could not extend the hand-off'));
    },
    (visibility * 1000) / 3,
  );
  let aborted = false;
  let outcome: WorkerOutcome | 'crashed' = 'crashed';
  try {
    outcome = await runJobAttempt(
      {
        config,
        backend,
        clock: systemClock,
        log,
        workerId: deps.workerId,
        random: Math.random,
        stopSignal,
        taskArn: deps.taskArn,
        onAbort: () => {
          aborted = true;
        },
      },
      jobId,
      attempt,
    );
  } catch (error) {
    // As a one-shot worker that crashed: the attempt stays where it was and the reaper judges it.
    log.error({ err: error, job_id: jobId, attempt }, 'pooled attempt crashed');
    aborted = true;
  } finally {
    clearInterval(keepHidden);
  }
  if (outcome !== 'crashed' && SETTLED.has(outcome)) {
    try {
      await queue.delete(receipt);
    } catch (error) {
      // It comes back, and whoever takes it finds the attempt not startable: harmless, then deleted.
      log.warn({ err: error, job_id: jobId }, 'could not delete the hand-off');
    }
  }
  log.info({ job_id: jobId, attempt, outcome }, 'pooled attempt done');
  return { aborted, outcome };
}

if (isEntryPoint(import.meta.url)) {
  process.exitCode = await main(process.env);
}
