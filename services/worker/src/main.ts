import { hostname } from 'node:os';
import { z } from 'zod';
import { ConfigError, loadConfig } from '@agent-runner/shared/config/config.ts';
import { createBackend } from '@agent-runner/shared/compose/create-backend.ts';
import { systemClock } from '@agent-runner/shared/domain/ids.ts';
import { createLogger } from '@agent-runner/shared/observability/logger.ts';
import { isEntryPoint } from '@agent-runner/shared/runtime/is-entry-point.ts';
import { ecsTaskInfo } from './ecs-task-arn.ts';
import { FARGATE_MINIMUM_SECONDS } from './compute-meter.ts';
import { runJobAttempt, type WorkerOutcome } from './run-job-attempt.ts';

/** What one worker process is asked to do: set by the launcher (ECS container override or spawn env). */
const INVOCATION = z.object({
  JOB_ID: z.string().min(1),
  JOB_ATTEMPT: z.coerce.number().int().min(1),
});

/** Exit codes: 0 the job succeeded (or was not ours to run), 1 the attempt failed, 2 bad configuration. */
const EXIT_CODE: Record<WorkerOutcome, number> = {
  succeeded: 0,
  'not-started': 0,
  abandoned: 0,
  stopped: 1,
  requeued: 1,
  failed: 1,
};

export async function main(env: Record<string, string | undefined>): Promise<number> {
  let config;
  let invocation;
  try {
    config = loadConfig(env);
    const parsed = INVOCATION.safeParse(env);
    if (!parsed.success) {
      throw new ConfigError(parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`));
    }
    invocation = parsed.data;
  } catch (error) {
    process.stderr.write(`agent-runner worker: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  const { taskArn, pullStartedAt } = await ecsTaskInfo(env);
  const log = createLogger('worker', config.logLevel).child(taskArn ? { task_arn: taskArn } : {});
  const backend = await createBackend(config);
  // ECS StopTask and the process launcher send SIGTERM first (SIGKILL follows after a grace period):
  // stop the handler, record what was spent, exit.
  const stop = new AbortController();
  const onSignal = () => stop.abort(new Error('worker told to stop'));
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    const outcome = await runJobAttempt(
      {
        config,
        backend,
        clock: systemClock,
        log,
        workerId: env.AGENT_RUNNER_WORKER_ID ?? `${hostname()}:${process.pid}`,
        random: Math.random,
        stopSignal: stop.signal,
        // Fargate bills from the image pull; a local worker costs its process's wall time.
        computeStartedAt: pullStartedAt ?? new Date(performance.timeOrigin),
        computeMinimumSeconds: pullStartedAt ? FARGATE_MINIMUM_SECONDS : 0,
      },
      invocation.JOB_ID,
      invocation.JOB_ATTEMPT,
    );
    return EXIT_CODE[outcome];
  } catch (error) {
    log.error({ err: error }, 'worker crashed');
    return 1;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await backend.close();
    log.flush();
  }
}

if (isEntryPoint(import.meta.url)) {
  process.exitCode = await main(process.env);
}
