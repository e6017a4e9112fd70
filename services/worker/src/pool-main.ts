import { hostname } from 'node:os';
import { ConfigError, loadConfig } from '@agent-runner/shared/config/config.ts';
import { createBackend } from '@agent-runner/shared/compose/create-backend.ts';
import { isToPoolWorker, type FromPoolWorker } from '@agent-runner/shared/adapters/process/pool-messages.ts';
import { systemClock } from '@agent-runner/shared/domain/ids.ts';
import { createLogger } from '@agent-runner/shared/observability/logger.ts';
import { isEntryPoint } from '@agent-runner/shared/runtime/is-entry-point.ts';
import { runJobAttempt } from './run-job-attempt.ts';

interface Current {
  jobId: string;
  attempt: number;
  stop: AbortController;
}

/**
 * A warm pool's worker: a long-lived child of the dispatcher that runs the attempts it is handed
 * over IPC, one at a time, through `runJobAttempt` — the very code a one-shot worker runs, so the
 * conditional start, heartbeats, deadline, cancellation, usage and events are the same. Its backend
 * (the SQLite connection, the SDK clients) and its loaded handlers are reused from job to job:
 * that is what it saves. It retires (exits 0; the pool starts another when it needs one) after
 * AGENT_RUNNER_POOL_RECYCLE_AFTER_JOBS jobs, above AGENT_RUNNER_POOL_MAX_RSS_MB, or after an
 * attempt whose handler was aborted (it may still be running code that ignored its signal).
 * When its dispatcher goes (the IPC channel closes) it finishes the job it has, then exits.
 */
export async function main(env: Record<string, string | undefined>): Promise<number> {
  const send = process.send?.bind(process);
  if (!send) {
    process.stderr.write('agent-runner pool worker: must be started by a dispatcher (node IPC channel)\n');
    return 2;
  }
  let config;
  try {
    config = loadConfig(env);
  } catch (error) {
    process.stderr.write(`agent-runner pool worker: ${error instanceof ConfigError ? error.message : String(error)}\n`);
    return 2;
  }
  const log = createLogger('worker', config.logLevel).child({ pool_worker: process.pid });
  const backend = await createBackend(config);
  const workerId = env.AGENT_RUNNER_WORKER_ID ?? `${hostname()}:${process.pid}`;
  let current: Current | null = null;
  let jobsRun = 0;
  let leaving = false;
  let finished: () => void = () => {};
  const over = new Promise<void>((resolve) => {
    finished = resolve;
  });
  const leaveWhenIdle = () => {
    leaving = true;
    if (!current) finished();
  };

  const run = async (jobId: string, attempt: number) => {
    const stop = new AbortController();
    current = { jobId, attempt, stop };
    let aborted = false;
    let outcome = 'crashed';
    try {
      outcome = await runJobAttempt(
        {
          config,
          backend,
          clock: systemClock,
          log,
          workerId,
          random: Math.random,
          stopSignal: stop.signal,
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
    }
    current = null;
    jobsRun++;
    const rssMb = process.memoryUsage.rss() / (1024 * 1024);
    const retiring = leaving || aborted || jobsRun >= config.pool.recycleAfterJobs || rssMb > config.pool.maxRssMb;
    const done: FromPoolWorker = { type: 'done', jobId, attempt, outcome, retiring, rssMb: Math.round(rssMb) };
    if (process.connected) send(done);
    if (retiring) leaveWhenIdle();
  };

  process.on('message', (message: unknown) => {
    if (!isToPoolWorker(message)) return;
    if (message.type === 'exit') return leaveWhenIdle();
    if (message.type === 'stop') {
      if (current?.jobId === message.jobId && current.attempt === message.attempt) current.stop.abort(new Error('job told to stop'));
      return;
    }
    if (current || leaving) {
      // The launcher hands a job only to an idle worker; refusing keeps "one at a time" true
      // whatever happens. The attempt stays DISPATCHED with this worker's ref: the launcher
      // reports it not running here, and the reaper retries it as a lost worker's.
      log.error({ job_id: message.jobId, busy_with: current?.jobId ?? null }, 'handed a job while busy or leaving; not running it');
      return;
    }
    void run(message.jobId, message.attempt);
  });
  // The dispatcher went: finish what we have, take nothing more.
  process.on('disconnect', leaveWhenIdle);
  // SIGTERM (the pool closing hard, a container stopping): stop the job as a one-shot worker would.
  const onSignal = () => {
    current?.stop.abort(new Error('worker told to stop'));
    leaveWhenIdle();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  send({ type: 'ready' } satisfies FromPoolWorker);
  await over;
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  await backend.close();
  log.flush();
  if (process.connected) process.disconnect();
  return 0;
}

if (isEntryPoint(import.meta.url)) {
  process.exitCode = await main(process.env);
}
