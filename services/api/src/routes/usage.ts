import { Router } from '@koa/router';
import { reportUsage } from '@agent-runner/shared/jobs/report-usage.ts';
import type { ApiDeps } from '../api-deps.ts';
import type { UsageReportView } from '../schemas/usage.ts';
import { parseUsageQuery } from '../validation/parse-usage-query.ts';

/** GET /usage: Claude usage of the jobs created in a window, grouped by tenant, job type or model. */
export function usageRouter(deps: Pick<ApiDeps, 'backend' | 'clock'>): Router {
  const router = new Router();
  router.get('/usage', async (ctx) => {
    const query = parseUsageQuery(ctx.query, deps.clock.now());
    const report = await reportUsage(deps.backend.jobs, query);
    ctx.body = {
      from: query.from.toISOString(),
      to: query.to.toISOString(),
      group_by: query.groupBy,
      ...report,
    } satisfies UsageReportView;
  });
  return router;
}
