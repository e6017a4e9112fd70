import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'vitest';
import { Router } from '@koa/router';
import Koa from 'koa';
import { metricsHandler } from './metrics-handler.ts';
import { startMetricsServer } from './metrics-server.ts';
import { createMetrics } from './metrics.ts';

const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

test('the metrics server answers GET /metrics in the Prometheus text format, /healthz, and 404 otherwise', async () => {
  const metrics = createMetrics({ service: 'dispatcher' });
  metrics.jobDispatched({ jobType: 'echo', priority: 'critical' });
  const server = await startMetricsServer(metrics.registry, { host: '127.0.0.1', port: 0 });
  try {
    const res = await fetch(`${server.url}/metrics`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), PROMETHEUS_TEXT);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const body = await res.text();
    assert.match(body, /^agent_runner_jobs_dispatched_total\{job_type="echo",priority="critical",service="dispatcher"\} 1$/m);
    assert.match(body, /^# TYPE agent_runner_jobs_dispatched_total counter$/m);

    const head = await fetch(`${server.url}/metrics`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
    const post = await fetch(`${server.url}/metrics`, { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    assert.deepEqual(await (await fetch(`${server.url}/healthz`)).json(), { status: 'ok' });
    assert.equal((await fetch(`${server.url}/jobs`)).status, 404);
  } finally {
    await server.close();
  }
});

test('a collector that throws gives a 500 without its details', async () => {
  const metrics = createMetrics({ service: 'dispatcher', defaultMetrics: false });
  const { Gauge } = await import('prom-client');
  new Gauge({
    name: 'agent_runner_test_broken',
    help: 'throws on collect',
    registers: [metrics.registry],
    collect() {
      throw new Error('secret detail');
    },
  });
  const server = await startMetricsServer(metrics.registry, { host: '127.0.0.1', port: 0 });
  try {
    const res = await fetch(`${server.url}/metrics`);
    assert.equal(res.status, 500);
    assert.doesNotMatch(await res.text(), /secret/);
  } finally {
    await server.close();
  }
});

test('the Koa form serves the same body from a router', async () => {
  const metrics = createMetrics({ service: 'api', defaultMetrics: false });
  metrics.jobSubmitted({ jobType: 'echo', priority: 'normal' });
  const app = new Koa();
  const router = new Router();
  router.get('/metrics', metricsHandler(metrics.registry).koa);
  app.use(router.routes());
  const server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), PROMETHEUS_TEXT);
    assert.match(await res.text(), /^agent_runner_jobs_submitted_total\{job_type="echo",priority="normal",service="api"\} 1$/m);
  } finally {
    server.close();
  }
});
