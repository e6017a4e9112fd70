import Koa from 'koa';
import type { ApiDeps } from './api-deps.ts';
import { errorsAsProblems } from './middleware/errors-as-problems.ts';
import { healthRouter } from './routes/health.ts';
import { jobsRouter } from './routes/jobs.ts';

export type { ApiDeps };

/**
 * The API: records and enqueues jobs, shows them, cancels them — it never launches anything.
 * Errors become problem+json in one middleware, which is also the one place requests are logged.
 */
export function createApp(deps: ApiDeps): Koa {
  const app = new Koa();
  app.use(errorsAsProblems(deps.log));
  for (const router of [healthRouter(), jobsRouter(deps)]) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  // Reached only by failures after the answer began (a body stream that errors): nothing left to send.
  app.on('error', (error: unknown) => deps.log.error({ err: error }, 'response failed after it started'));
  return app;
}
