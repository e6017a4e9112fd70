import { Router } from '@koa/router';
import { reportUsage } from '@agent-runner/shared/jobs/report-usage.ts';
import type { ApiDeps } from '../api-deps.ts';
import { listingTenant, requireScope } from '../auth/access.ts';
import type { AuthState } from '../auth/caller.ts';
import type { UsageReportView } from '../schemas/usage.ts';
import { parseUsageQuery } from '../validation/parse-usage-query.ts';

/** GET /usage: Claude usage of the jobs created in a window, grouped by tenant, job type or model. */
export function usageRouter(deps: Pick<ApiDeps, 'backend' | 'clock'>): Router<AuthState> {
  const router = new Router<AuthState>();
  router.get('/usage', async (ctx) => {
    const caller = requireScope(ctx.state, 'read');
    const { tenant: requested, ...query } = parseUsageQuery(ctx.query, deps.clock.now());
    const tenant = listingTenant(caller, requested);
    const report = await reportUsage(deps.backend.jobs, { ...query, ...(tenant !== undefined && { tenant }) });
    ctx.body = {
      from: query.from.toISOString(),
      to: query.to.toISOString(),
      group_by: query.groupBy,
      ...report,
    } satisfies UsageReportView;
  });
  return router;
}
