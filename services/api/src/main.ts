import type { Backend } from '@agent-runner/shared/compose/backend.ts';
import type { ResolveHost } from '@agent-runner/shared/net/public-lookup.ts';
import { createBackend } from '@agent-runner/shared/compose/create-backend.ts';
import { isLoopbackHost, type Config } from '@agent-runner/shared/config/config.ts';
import { systemClock, ulid, type Clock, type IdSource } from '@agent-runner/shared/domain/ids.ts';
import { createLogger, type Logger } from '@agent-runner/shared/observability/logger.ts';
import { createMetrics } from '@agent-runner/shared/observability/metrics.ts';
import { startMetricsServer } from '@agent-runner/shared/observability/metrics-server.ts';
import { startQueueDepthSampler } from '@agent-runner/shared/observability/queue-depth-sampler.ts';
import { JOB_TYPE_NAMES } from '@agent-runner/shared/job-types/catalogue.ts';
import { isEntryPoint } from '@agent-runner/shared/runtime/is-entry-point.ts';
import { loadConfigOrReport, untilStopSignal } from '@agent-runner/shared/runtime/service-process.ts';
import { createApp } from './app.ts';
import { answerClientError } from './http/answer-client-error.ts';
import { serve } from './http/serve.ts';

export interface ApiOptions {
  /** Default: the system clock. */
  clock?: Clock;
  /** Default: ULIDs. */
  newId?: IdSource;
  /** How long close() lets requests in progress finish before cutting them. Default 10 000 ms. */
  drainMs?: number;
  /** How webhook hosts are resolved at submit time (tests). Default: the system resolver. */
  resolveHost?: ResolveHost;
}

export interface RunningApi {
  url: string;
  /** Where GET /metrics is served when AGENT_RUNNER_METRICS_PORT is set; else null (on `url`). */
  metricsUrl: string | null;
  /** Stops accepting requests and waits for those in progress (up to `drainMs`). */
  close(): Promise<void>;
}

/** Serves the API on config.host:config.apiPort (0: any free port) until closed. */
export async function startApi(config: Config, backend: Backend, log: Logger, options: ApiOptions = {}): Promise<RunningApi> {
  const metrics = createMetrics({ service: 'api', jobTypes: JOB_TYPE_NAMES, models: config.anthropic.allowedModels });
  const sampler = startQueueDepthSampler(metrics, () => backend.queue.depth(), {
    intervalMs: config.queueDepthIntervalSeconds * 1000,
    onError: (error) => log.warn({ err: error }, 'queue depth could not be sampled'),
  });
  const app = createApp({
    config,
    backend,
    clock: options.clock ?? systemClock,
    newId: options.newId ?? ulid,
    log,
    metrics,
    queueDepth: sampler.latest,
    ...(options.resolveHost && { resolveHost: options.resolveHost }),
  });
  const serving = await serve(app.callback(), config.host, config.apiPort, {
    drainMs: options.drainMs ?? 10_000,
    headersTimeoutMs: config.http.headersTimeoutMs,
    requestTimeoutMs: config.http.requestTimeoutMs,
    onClientError: answerClientError(log),
  });
  const metricsServer =
    config.metricsPort === null ? null : await startMetricsServer(metrics.registry, { host: config.host, port: config.metricsPort });
  log.info({ url: serving.url, backend: backend.name, ...(metricsServer && { metrics_url: metricsServer.url }) }, 'api listening');
  reportAuthMode(config, log);
  return {
    url: serving.url,
    metricsUrl: metricsServer?.url ?? null,
    async close() {
      await serving.close();
      await metricsServer?.close();
      await sampler.stop();
      log.info('api stopped');
    },
  };
}

/**
 * One line at start-up about authentication. Off by default only for the embedded backend on a
 * loopback address (a one-command try-out); off anywhere else was asked for, and is worth a warning.
 */
function reportAuthMode(config: Config, log: Logger): void {
  if (config.auth.mode === 'required')
    log.info('auth required: every job route needs Authorization: Bearer <key> (agent-runner keys create)');
  else if (!config.auth.explicit)
    log.info('auth off: embedded backend on a loopback address; set AGENT_RUNNER_AUTH=required to require API keys');
  else if (config.backend === 'aws' || !isLoopbackHost(config.host)) {
    log.warn(
      { backend: config.backend, host: config.host },
      "auth off (AGENT_RUNNER_AUTH=off): anyone who can reach this API can run, read and cancel every tenant's jobs",
    );
  } else log.info('auth off (AGENT_RUNNER_AUTH=off)');
}

/** `agent-runner api` and `node services/api/src/main.ts`: the API alone, as its container runs it. */
export async function main(env: Record<string, string | undefined>): Promise<number> {
  const config = loadConfigOrReport(env, 'agent-runner api');
  if (!config) return 2;
  const log = createLogger('api', config.logLevel);
  const backend = await createBackend(config);
  const api = await startApi(config, backend, log);
  await untilStopSignal();
  await api.close();
  await backend.close();
  return 0;
}

if (isEntryPoint(import.meta.url)) {
  process.exitCode = await main(process.env);
}
