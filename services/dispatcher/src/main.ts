import type { Backend } from '@agent-runner/shared/compose/backend.ts';
import { createBackend } from '@agent-runner/shared/compose/create-backend.ts';
import type { Config } from '@agent-runner/shared/config/config.ts';
import { systemClock, type Clock } from '@agent-runner/shared/domain/ids.ts';
import { createLogger, type Logger } from '@agent-runner/shared/observability/logger.ts';
import { createMetrics, type AgentRunnerMetrics } from '@agent-runner/shared/observability/metrics.ts';
import { startMetricsServer } from '@agent-runner/shared/observability/metrics-server.ts';
import type { WorkerLauncher } from '@agent-runner/shared/ports/worker-launcher.ts';
import { JOB_TYPE_NAMES } from '@agent-runner/shared/job-types/catalogue.ts';
import { isEntryPoint } from '@agent-runner/shared/runtime/is-entry-point.ts';
import { loadConfigOrReport, untilStopSignal } from '@agent-runner/shared/runtime/service-process.ts';
import type { DispatcherDeps } from './dispatcher-deps.ts';
import { ClaudeAdmissionGate } from './claude-admission-gate.ts';
import { every } from './every.ts';
import { JobOutcomeMetrics } from './job-outcome-metrics.ts';
import { LaunchScheduler } from './launch-scheduler.ts';
import { releaseOrphanedLeases } from './release-orphaned-leases.ts';
import { CancelledWorkerStopper } from './stop-cancelled-workers.ts';
import { reapLostWorkers } from './reap-lost-workers.ts';
import { sweepStrandedJobs } from './sweep-stranded-jobs.ts';
import { sweepPipelines } from './sweep-pipelines.ts';
import { advanceIfStepEnded } from '@agent-runner/shared/pipelines/step-ended.ts';
import type { PipelineDeps } from '@agent-runner/shared/pipelines/pipeline-deps.ts';
import { startWebhookDeliveryLoop } from './webhook-delivery-loop.ts';
import { createWebhookMetrics } from '@agent-runner/shared/observability/webhook-metrics.ts';

export interface DispatcherOptions {
  clock?: Clock;
  random?: () => number;
  /** Overrides the backend's launcher (tests count launches through it). */
  launcher?: WorkerLauncher;
  /** Overrides AGENT_RUNNER_VISIBILITY_TIMEOUT_SECONDS (tests, the bench). */
  visibilityTimeoutSeconds?: number;
  /** Default: a fresh registry with process metrics. */
  metrics?: AgentRunnerMetrics;
}

export interface RunningDispatcher {
  /** Its series, for startMetricsServer (main and `agent-runner start` serve them). */
  metrics: AgentRunnerMetrics;
  stop(): Promise<void>;
}

export type { LaunchScheduler };

/** SQS returns at most 10 messages per receive. */
const BATCH_SIZE = 10;
/** Never more held at once, whatever the limits (the scheduler sorts what it holds each round). */
const MAX_HELD = 200;

/**
 * The hard bound on messages held (waiting or launching) across all queues; `room` keeps the
 * number lower while capacity is taken. AGENT_RUNNER_MAX_RUNNING that could launch, as many again
 * held back by a full type, tenant or ordering scope, and one receive batch of look-ahead.
 */
function maxHeld(config: Config): number {
  return Math.min(MAX_HELD, 2 * config.dispatch.maxRunning + BATCH_SIZE);
}

/** Consumes the job feed, launches workers, and runs the sweeper and reaper until stopped. */
export function startDispatcher(config: Config, backend: Backend, log: Logger, options: DispatcherOptions = {}): RunningDispatcher {
  const metrics =
    options.metrics ?? createMetrics({ service: 'dispatcher', jobTypes: JOB_TYPE_NAMES, models: config.anthropic.allowedModels });
  const outcomes = new JobOutcomeMetrics({ jobs: backend.jobs, metrics, log });
  const clock = options.clock ?? systemClock;
  const pipelineDeps: PipelineDeps = {
    jobs: backend.jobs,
    pipelines: backend.pipelines,
    queue: backend.queue,
    blobs: backend.blobs,
    clock,
    config,
  };
  const deps: DispatcherDeps = {
    config,
    metrics,
    outcomes,
    jobs: backend.jobs,
    queue: backend.queue,
    launcher: options.launcher ?? backend.createLauncher(),
    leases: backend.leases,
    clock,
    log,
    random: options.random ?? Math.random,
    jobEnded: (job) => advanceIfStepEnded(pipelineDeps, job, log),
    claudeAdmission: config.dispatch.claudeAdmission ? new ClaudeAdmissionGate(config, log) : null,
  };
  // A launcher made here is this dispatcher's to warm and to close; one passed in is its owner's.
  const ownsLauncher = !options.launcher;
  if (ownsLauncher && config.pool.pooledTypes.length > 0) {
    deps.launcher.warm?.().catch((error: unknown) => log.warn({ err: error }, 'could not warm the worker pool'));
  }
  const scheduler = new LaunchScheduler(deps);
  const feed = backend.createFeed({
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? config.dispatch.visibilityTimeoutSeconds,
    batchSize: BATCH_SIZE,
    maxInFlight: maxHeld(config),
    // Only what free capacity can use soon: held messages are hidden from every other dispatcher,
    // and a dispatcher that dies hides them until their visibility timeout ends.
    room: (priority) => scheduler.room(priority),
  });
  feed.on('malformed', (raw, error) =>
    log.error({ err: error, bytes: raw.length }, 'malformed queue message left for the dead-letter queue'),
  );
  feed.on('error', (error) => log.error({ err: error }, 'job feed error'));
  feed.start((delivery) => scheduler.admit(delivery));

  const intervalMs = config.dispatch.sweepIntervalSeconds * 1000;
  const stopper = new CancelledWorkerStopper(deps);
  const reaper = every(
    intervalMs,
    async () => {
      const reaped = await reapLostWorkers(deps);
      const ended = await outcomes.observe(reaped.active);
      deps.claudeAdmission?.observe([...reaped.active, ...ended], deps.clock.now().getTime());
      await stopper.stopCancelledWorkers(reaped.active);
      await releaseOrphanedLeases(deps, scheduler.launchingJobIds());
    },
    (error) => log.error({ err: error }, 'reaper failed'),
    { atStart: true },
  );
  const sweeper = every(
    intervalMs,
    async () => {
      await sweepStrandedJobs(deps);
      await sweepPipelines(pipelineDeps, log);
    },
    (error) => log.error({ err: error }, 'sweeper failed'),
    { atStart: true },
  );
  const webhooks = startWebhookDeliveryLoop(
    {
      deliveries: backend.webhookDeliveries,
      pipelines: backend.pipelines,
      jobs: backend.jobs,
      secrets: backend.webhookSecrets,
      endpoints: backend.webhookEndpoints,
      rules: config.webhooks,
      backoffBaseSeconds: config.webhookDelivery.backoffBaseSeconds,
      clock: deps.clock,
      random: deps.random,
      metrics: createWebhookMetrics(metrics.registry),
      log,
    },
    { queue: backend.webhookQueue, waitSeconds: config.aws?.queueWaitSeconds ?? 20, sweepIntervalMs: intervalMs, log },
  );
  log.info({ backend: backend.name, launcher: config.launcher }, 'dispatcher started');

  return {
    metrics,
    async stop() {
      // The scheduler hands waiting messages back first, so the feed's stop need not wait on them.
      await scheduler.stop();
      await Promise.all([feed.stop(), reaper.stop(), sweeper.stop(), webhooks.stop()]);
      if (ownsLauncher) await deps.launcher.close?.();
      log.info('dispatcher stopped');
    },
  };
}

/** `agent-runner dispatcher`: the dispatcher alone, as its container runs it. */
export async function main(env: Record<string, string | undefined>): Promise<number> {
  const config = loadConfigOrReport(env, 'agent-runner dispatcher');
  if (!config) return 2;
  const log = createLogger('dispatcher', config.logLevel);
  const backend = await createBackend(config);
  const dispatcher = startDispatcher(config, backend, log);
  const metricsServer = await startMetricsServer(dispatcher.metrics.registry, { host: config.host, port: config.dispatcherPort });
  log.info({ url: `${metricsServer.url}/metrics` }, 'dispatcher metrics listening');
  await untilStopSignal();
  await metricsServer.close();
  await dispatcher.stop();
  await backend.close();
  return 0;
}

if (isEntryPoint(import.meta.url)) {
  process.exitCode = await main(process.env);
}
