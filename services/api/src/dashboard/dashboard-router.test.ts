import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, test } from 'vitest';
import Koa from 'koa';
import { createDashboardRouter } from './dashboard-router.ts';
import { createStatsRouter } from './stats-router.ts';
import type { QueueDepthSample } from '@agent-runner/shared/observability/queue-depth-sampler.ts';

let server: Server;
let url: string;
let sample: QueueDepthSample | null = null;

beforeAll(async () => {
  const app = new Koa();
  for (const router of [createDashboardRouter(), createStatsRouter(() => sample)]) app.use(router.routes());
  server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

test('GET / serves the page as HTML, revalidated on every load, with a policy allowing only its own files', async () => {
  const res = await fetch(`${url}/`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(res.headers.get('cache-control'), 'no-cache');
  assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'.*connect-src 'self'/);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  const html = await res.text();
  assert.match(html, /<script type="module" src="\/dashboard\/app\.js\?v=[\w-]{8}"><\/script>/);
  assert.match(html, /<link rel="stylesheet" href="\/dashboard\/style\.css\?v=[\w-]{8}">/);

  // As a browser revalidates its cached copy (fetch() alone would add Cache-Control: no-cache, a forced reload).
  const again = await fetch(`${url}/`, { headers: { 'if-none-match': res.headers.get('etag')!, 'cache-control': 'max-age=0' } });
  assert.equal(again.status, 304);
  assert.equal(await again.text(), '');
});

test('the script and style the page names are served with their types and cached for a year; other URLs revalidate', async () => {
  const html = await (await fetch(`${url}/`)).text();
  const scriptUrl = /src="(\/dashboard\/app\.js\?v=[^"]+)"/.exec(html)![1]!;
  const styleUrl = /href="(\/dashboard\/style\.css\?v=[^"]+)"/.exec(html)![1]!;
  const script = await fetch(`${url}${scriptUrl}`);
  assert.equal(script.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal(script.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.match(await script.text(), /new EventSource\(/);
  const style = await fetch(`${url}${styleUrl}`);
  assert.equal(style.headers.get('content-type'), 'text/css; charset=utf-8');
  assert.equal(style.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  const unversioned = await fetch(`${url}/dashboard/app.js`);
  assert.equal(unversioned.status, 200);
  assert.equal(unversioned.headers.get('cache-control'), 'no-cache');
  assert.equal((await fetch(`${url}/dashboard/app.js?v=stale`)).headers.get('cache-control'), 'no-cache');
  assert.equal((await fetch(`${url}/dashboard/secrets.env`)).status, 404);
  assert.equal((await fetch(`${url}/dashboard/../package.json`)).status, 404);
  const redirect = await fetch(`${url}/dashboard`, { redirect: 'manual' });
  assert.equal(redirect.status, 302);
  assert.equal(redirect.headers.get('location'), '/');
});

test('GET /stats: null before the first queue-depth sample, then the last sample in the API naming', async () => {
  assert.deepEqual(await (await fetch(`${url}/stats`)).json(), { queue_depth: null, sampled_at: null });
  const none = { waiting: 0, inFlight: 0 };
  sample = {
    depth: { critical: { waiting: 2, inFlight: 1 }, high: none, normal: { waiting: 40, inFlight: 3 }, low: none },
    sampledAt: new Date('2026-01-01T00:00:00Z'),
  };
  const res = await fetch(`${url}/stats`);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.deepEqual(await res.json(), {
    queue_depth: {
      critical: { waiting: 2, in_flight: 1 },
      high: { waiting: 0, in_flight: 0 },
      normal: { waiting: 40, in_flight: 3 },
      low: { waiting: 0, in_flight: 0 },
    },
    sampled_at: '2026-01-01T00:00:00.000Z',
  });
});
