import { Router } from '@koa/router';
import type { AgentRunnerMetrics } from '@agent-runner/shared/observability/metrics.ts';
import { metricsHandler } from '@agent-runner/shared/observability/metrics-handler.ts';

/** GET /metrics: the API's series in the Prometheus text format (everything is already in memory). */
export function metricsRouter(metrics: AgentRunnerMetrics): Router {
  const router = new Router();
  router.get('/metrics', metricsHandler(metrics.registry).koa);
  return router;
}
