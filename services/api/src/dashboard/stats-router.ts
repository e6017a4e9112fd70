import { Router } from '@koa/router';
import { PRIORITIES, type Priority } from '@agent-runner/shared/domain/job.ts';
import type { QueueDepthSample } from '@agent-runner/shared/observability/queue-depth-sampler.ts';

/** GET /stats: what the dashboard shows at a glance, as JSON. */
export interface Stats {
  /** Per priority queue; null until the first sample (or when sampling keeps failing from the start). */
  queue_depth: Record<Priority, { waiting: number; in_flight: number }> | null;
  /** When `queue_depth` was read from the queue. */
  sampled_at: string | null;
}

/**
 * GET /stats from the queue-depth sampler's last reading (startQueueDepthSampler(...).latest): a
 * request never reads the queue itself, so any number of open dashboards cost no queue calls.
 */
export function createStatsRouter(latestQueueDepth: () => QueueDepthSample | null): Router {
  const router = new Router();
  router.get('/stats', (ctx) => {
    const sample = latestQueueDepth();
    const depth = sample
      ? (Object.fromEntries(
          PRIORITIES.map((p) => [p, { waiting: sample.depth[p].waiting, in_flight: sample.depth[p].inFlight }]),
        ) as Stats['queue_depth'])
      : null;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { queue_depth: depth, sampled_at: sample ? sample.sampledAt.toISOString() : null } satisfies Stats;
  });
  return router;
}
