import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from 'koa';
import type { Registry } from 'prom-client';

/** GET /metrics in the Prometheus text format, for a Koa router and for a plain node:http server. */
export interface MetricsHandler {
  /** `router.get('/metrics', handler.koa)` */
  koa(ctx: Context): Promise<void>;
  /** `createServer(handler.node)`, or called from a listener for GET/HEAD /metrics. */
  node(req: IncomingMessage, res: ServerResponse): void;
}

/**
 * Renders `registry` on each request. Everything in it is already in memory (queue depth is
 * sampled on an interval, see startQueueDepthSampler), so a scrape reads no queue or store.
 */
export function metricsHandler(registry: Registry): MetricsHandler {
  return {
    async koa(ctx) {
      const body = await registry.metrics();
      ctx.set('Cache-Control', 'no-store');
      ctx.type = registry.contentType;
      ctx.body = body;
    },
    node(req, res) {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
        return;
      }
      registry.metrics().then(
        (body) => {
          res.writeHead(200, {
            'Content-Type': registry.contentType,
            'Cache-Control': 'no-store',
            'Content-Length': Buffer.byteLength(body),
          });
          res.end(req.method === 'HEAD' ? undefined : body);
        },
        () => {
          // A collect function failed: say so without its details (the scrape shows up as down).
          res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('metrics could not be collected\n');
        },
      );
    },
  };
}
