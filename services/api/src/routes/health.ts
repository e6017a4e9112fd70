import { Router } from '@koa/router';
import type { Health } from '../schemas/health.ts';

/** GET /healthz: liveness only. It touches no dependency, so a slow store does not get the task killed. */
export function healthRouter(): Router {
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' } satisfies Health;
  });
  return router;
}
