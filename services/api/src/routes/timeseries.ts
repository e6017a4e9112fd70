import { Router } from '@koa/router';
import { ValidationError } from '@agent-runner/shared/domain/errors.ts';
import { readJobTimeseries } from '@agent-runner/shared/jobs/job-timeseries.ts';
import { TtlCache } from '@agent-runner/shared/runtime/ttl-cache.ts';
import { fieldErrors, summarize } from '@agent-runner/shared/validation/field-errors.ts';
import type { ApiDeps } from '../api-deps.ts';
import { listingTenant, requireScope } from '../auth/access.ts';
import type { AuthState } from '../auth/caller.ts';
import { TimeseriesQuerySchema, type TimeseriesView } from '../schemas/timeseries.ts';

/** Dashboards refresh every few seconds; the charts' minutes do not need to be fresher than this. */
const CACHE_MS = 30_000;

/**
 * GET /stats/timeseries: the charts of the last hours, from the job records (no metrics store).
 * One pass over the window's jobs per tenant and length every CACHE_MS per API instance, however
 * many dashboards are open: on DynamoDB an index Query and a BatchGetItem per 100 jobs.
 */
export function timeseriesRouter(deps: Pick<ApiDeps, 'backend' | 'clock'>): Router<AuthState> {
  const router = new Router<AuthState>();
  const cache = new TtlCache<TimeseriesView>(CACHE_MS, deps.clock, 100);
  router.get('/stats/timeseries', async (ctx) => {
    const caller = requireScope(ctx.state, 'read');
    const parsed = TimeseriesQuerySchema.safeParse(ctx.query);
    if (!parsed.success) {
      const errors = fieldErrors(parsed.error.issues);
      throw new ValidationError(`invalid query parameters: ${summarize(errors)}`, { problem: 'invalid-query', errors });
    }
    const tenant = listingTenant(caller, parsed.data.tenant);
    const { hours } = parsed.data;
    ctx.body = await cache.get(`${tenant ?? '*'}\n${hours}`, () => {
      const to = deps.clock.now();
      return readJobTimeseries(deps.backend.jobs, {
        from: new Date(to.getTime() - hours * 3_600_000),
        to,
        ...(tenant !== undefined && { tenant }),
      });
    });
    ctx.set('Cache-Control', 'no-store');
  });
  return router;
}
