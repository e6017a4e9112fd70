import { METHODS } from 'node:http';
import Koa from 'koa';
import { createMetrics } from '@agent-runner/shared/observability/metrics.ts';
import { httpRequestMetrics } from '@agent-runner/shared/observability/http-request-metrics.ts';
import { JOB_TYPE_NAMES } from '@agent-runner/shared/job-types/catalogue.ts';
import type { ApiDeps } from './api-deps.ts';
import { ApiKeyVerifier } from './auth/api-key-verifier.ts';
import { authenticate } from './auth/authenticate.ts';
import { createDashboardRouter } from './dashboard/dashboard-router.ts';
import { createStatsRouter } from './dashboard/stats-router.ts';
import { errorsAsProblems } from './middleware/errors-as-problems.ts';
import { refuseForeignRequests } from './middleware/refuse-foreign-requests.ts';
import { healthRouter } from './routes/health.ts';
import { jobsRouter } from './routes/jobs.ts';
import { pipelinesRouter } from './routes/pipelines.ts';
import { metricsRouter } from './routes/metrics.ts';
import { usageRouter } from './routes/usage.ts';
import { webhookDeliveriesRouter } from './routes/webhook-deliveries.ts';
import { tenantWebhooksRouter } from './routes/tenant-webhooks.ts';
import { timeseriesRouter } from './routes/timeseries.ts';
import { openApiRouter } from './routes/openapi.ts';
import { SubmissionQuotas } from './quotas/submission-quotas.ts';
import { TenantWebhookEndpoints } from './quotas/tenant-webhook-endpoints.ts';

export type { ApiDeps };

/**
 * The API: records and enqueues jobs, shows them, cancels them — it never launches anything.
 * Errors become problem+json in one middleware, which is also the one place requests are logged.
 * Request timing comes first, outside it, so it records the status the client actually got.
 */
export function createApp(deps: ApiDeps): Koa {
  const metrics =
    deps.metrics ??
    createMetrics({ service: 'api', jobTypes: JOB_TYPE_NAMES, models: deps.config.anthropic.allowedModels, defaultMetrics: false });
  const quotas = deps.quotas ?? new SubmissionQuotas({ backend: deps.backend, config: deps.config, clock: deps.clock });
  const tenantEndpoints =
    deps.tenantEndpoints ?? new TenantWebhookEndpoints(deps.backend.webhookEndpoints, deps.config.tenants.cacheSeconds, deps.clock);
  const routed = { ...deps, metrics, quotas, tenantEndpoints };
  const app = new Koa();
  const verifier = new ApiKeyVerifier(deps.backend.apiKeys, { cacheMs: deps.config.auth.cacheSeconds * 1000, log: deps.log });
  app.use(httpRequestMetrics(metrics));
  app.use(errorsAsProblems(deps.log));
  app.use(refuseForeignRequests(deps.config.http));
  app.use(authenticate(deps.config.auth.mode, verifier));
  const routers = [
    healthRouter(),
    jobsRouter(routed, verifier),
    pipelinesRouter(routed, verifier),
    usageRouter(deps),
    webhookDeliveriesRouter(deps),
    tenantWebhooksRouter(routed),
    timeseriesRouter(deps),
    // With AGENT_RUNNER_METRICS_PORT, /metrics is served there only (startApi), not beside the jobs.
    ...(deps.config.metricsPort === null ? [metricsRouter(metrics)] : []),
    createStatsRouter(deps.queueDepth ?? (() => null)),
    createDashboardRouter(),
    openApiRouter(),
  ];
  for (const router of routers) {
    // koa-router answers 501 Not Implemented (a server fault, logged as an error) for a method it
    // does not list, e.g. TRACE. Every method Node parses is known here: one a path does not serve
    // is a 405 with Allow.
    router.methods = [...METHODS];
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  // Reached only by failures after the answer began (a body stream that errors): nothing left to send.
  // A client leaving an event stream early is how such streams normally end, not a failure.
  app.on('error', (error: unknown) => {
    if ((error as { code?: unknown }).code === 'ERR_STREAM_PREMATURE_CLOSE') deps.log.debug('client closed the response early');
    else deps.log.error({ err: error }, 'response failed after it started');
  });
  return app;
}
