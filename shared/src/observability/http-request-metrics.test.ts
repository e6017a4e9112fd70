import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'vitest';
import { Router } from '@koa/router';
import Koa from 'koa';
import { httpRequestMetrics } from './http-request-metrics.ts';
import { createMetrics, type AgentRunnerMetrics } from './metrics.ts';

class TeapotError extends Error {
  readonly status = 418;
}

/** A real Koa app on a free port: the metrics middleware first, an error-to-status middleware, a router. */
async function startApp(metrics: AgentRunnerMetrics): Promise<{ url: string; server: Server }> {
  const app = new Koa();
  app.use(httpRequestMetrics(metrics));
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      ctx.status = error instanceof TeapotError ? 418 : 500;
      ctx.body = { error: 'mapped' };
    }
  });
  const router = new Router();
  router.get('/jobs/:id', (ctx) => {
    ctx.body = { id: ctx.params.id };
  });
  router.post('/jobs/:id/cancel', () => {
    throw new TeapotError('no');
  });
  app.use(router.routes());
  app.use(router.allowedMethods());
  const server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

async function requestCounts(metrics: AgentRunnerMetrics): Promise<string[]> {
  const { values } = await metrics.registry.getSingleMetric('agent_runner_http_request_duration_seconds')!.get();
  return values
    .filter((v) => (v as { metricName?: string }).metricName === 'agent_runner_http_request_duration_seconds_count')
    .map((v) => `${v.labels.method} ${v.labels.route} ${v.labels.status} ×${v.value}`)
    .sort();
}

test('requests are labelled by the matched route template, not the path; unmatched paths share one label', async () => {
  const metrics = createMetrics({ service: 'api', defaultMetrics: false });
  const { url, server } = await startApp(metrics);
  try {
    for (const id of ['01A', '01B', '01C']) assert.equal((await fetch(`${url}/jobs/${id}`)).status, 200);
    assert.equal((await fetch(`${url}/nothing/here`)).status, 404);
    assert.equal((await fetch(`${url}/also/not/${Math.random()}`)).status, 404);
    assert.equal((await fetch(`${url}/jobs/01A/cancel`, { method: 'POST' })).status, 418);
    assert.deepEqual(await requestCounts(metrics), ['GET /jobs/:id 200 ×3', 'GET unmatched 404 ×2', 'POST /jobs/:id/cancel 418 ×1']);
  } finally {
    server.close();
  }
});

test('an error that escapes every middleware is recorded with its status (else 500) and still thrown', async () => {
  const metrics = createMetrics({ service: 'api', defaultMetrics: false });
  const middleware = httpRequestMetrics(metrics, {
    now: (() => {
      let t = 0;
      return () => (t += 250);
    })(),
  });
  const ctx = { method: 'GET', status: 404, _matchedRoute: '/jobs/:id' } as unknown as Parameters<typeof middleware>[0];
  await assert.rejects(
    middleware(ctx, async () => {
      throw new TeapotError('x');
    }),
    TeapotError,
  );
  await assert.rejects(
    middleware(ctx, async () => {
      throw new Error('bug');
    }),
    /bug/,
  );
  assert.deepEqual(await requestCounts(metrics), ['GET /jobs/:id 418 ×1', 'GET /jobs/:id 500 ×1']);
  const { values } = await metrics.registry.getSingleMetric('agent_runner_http_request_duration_seconds')!.get();
  assert.equal(values.find((v) => (v as { metricName?: string }).metricName?.endsWith('_sum') && v.labels.status === '418')?.value, 0.25);
});
