/**
 * The http_get tool against a real local HTTP server: allow-list, public addresses only, redirects,
 * size and time limits. The server is on loopback, so most tests turn AGENT_RUNNER_HTTP_GET_ALLOW_PRIVATE on.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, test } from 'vitest';
import type { JsonObject } from '@agent-runner/shared/domain/job.ts';
import { ToolError } from '@agent-runner/worker/handlers/tools/agent-tool.ts';
import { createHttpGetTool, isAllowedHost } from '@agent-runner/worker/handlers/tools/http-get.ts';
import { handlerContext } from '../../support/handler-context.ts';

let server: Server;
let base: string;
let slowRequests = 0;
let requests = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    requests++;
    switch (req.url) {
      case '/text':
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
        return res.end('héllo');
      case '/big':
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ data: 'x'.repeat(300) }));
      case '/missing':
        res.writeHead(404, { 'content-type': 'text/plain' });
        return res.end('not here');
      case '/png':
        res.writeHead(200, { 'content-type': 'image/png' });
        return res.end(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
      case '/hop':
        res.writeHead(302, { location: '/text' });
        return res.end();
      case '/away':
        res.writeHead(302, { location: 'http://example.com/secret' });
        return res.end();
      case '/loop':
        res.writeHead(307, { location: '/loop' });
        return res.end();
      case '/slow':
        slowRequests++;
        return; // never answers
      default:
        res.writeHead(500);
        return res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(
  () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
);

const tool = createHttpGetTool({ maxBytes: 100, timeoutMs: 300, maxRedirects: 2 });
const ctx = (hosts = '127.0.0.1', allowPrivate = 'true') =>
  handlerContext({ AGENT_RUNNER_HTTP_GET_ALLOWED_HOSTS: hosts, AGENT_RUNNER_HTTP_GET_ALLOW_PRIVATE: allowPrivate });
const get = async (url: string, t = ctx()) => (await tool.run({ url }, t.ctx)) as JsonObject;
const refused = (pattern: RegExp) => (error: unknown) => error instanceof ToolError && pattern.test(error.message);

test('a text page on an allowed host comes back with status, type and decoded body', async () => {
  assert.deepEqual(await get(`${base}/text`), {
    url: `${base}/text`,
    status: 200,
    content_type: 'text/plain; charset=utf-8',
    body: 'héllo',
    truncated: false,
  });
});

test('an error status is a result for the model to read, not a tool failure', async () => {
  const result = await get(`${base}/missing`);
  assert.equal(result.status, 404);
  assert.equal(result.body, 'not here');
});

test('a body over the size limit is cut and marked truncated', async () => {
  const result = await get(`${base}/big`);
  assert.equal(result.truncated, true);
  assert.equal(String(result.body).length, 100);
});

test('binary content is not returned', async () => {
  const result = await get(`${base}/png`);
  assert.equal(result.body, null);
  assert.equal(result.content_type, 'image/png');
});

test('redirects are followed only to allowed hosts, and only so many times', async () => {
  const hop = await get(`${base}/hop`);
  assert.equal(hop.url, `${base}/text`);
  assert.equal(hop.body, 'héllo');
  await assert.rejects(get(`${base}/away`), refused(/host "example.com" is not on the http_get allow-list/));
  await assert.rejects(get(`${base}/loop`), refused(/more than 2 redirects/));
});

test('hosts off the allow-list, other schemes and credentials are refused before any request', async () => {
  await assert.rejects(
    get(`${base}/text`, ctx('example.com')),
    refused(/host "127.0.0.1" is not on the http_get allow-list \(example.com\)/),
  );
  await assert.rejects(get(`${base}/text`, ctx('')), refused(/\(it is empty\)/));
  await assert.rejects(get('file:///etc/passwd'), refused(/only http and https/));
  await assert.rejects(get(`http://user:pw@127.0.0.1/`), refused(/credentials/));
  await assert.rejects(get('not a url'), refused(/not an absolute URL/));
  await assert.rejects(tool.run({ url: 42 }, ctx().ctx), refused(/invalid input for http_get/));
});

test('an allowed host that resolves to a non-public address is refused, and nothing is requested', async () => {
  const before = requests;
  const local = `http://localhost:${(server.address() as AddressInfo).port}/text`;
  await assert.rejects(
    get(local, ctx('localhost', 'false')),
    refused(/^localhost resolves to (127\.0\.0\.1|::1), not a public address \(loopback\); http_get fetches public addresses only/),
  );
  await assert.rejects(get(`${base}/text`, ctx('127.0.0.1', 'false')), refused(/^127\.0\.0\.1 is not a public address \(loopback\)/));
  const started = Date.now();
  await assert.rejects(
    get('http://169.254.169.254/latest/meta-data/', ctx('169.254.169.254', 'false')),
    refused(/^169\.254\.169\.254 is not a public address \(link-local\)/),
  );
  assert.ok(Date.now() - started < 1000, 'refused without trying to connect');
  assert.equal(requests, before);
  // The same loopback server, by name, once private addresses are allowed.
  const allowed = await get(local, ctx('localhost', 'true'));
  assert.equal(allowed.body, 'héllo');
  assert.equal(requests, before + 1);
});

test('a server that does not answer in time is a tool failure', async () => {
  const started = Date.now();
  await assert.rejects(get(`${base}/slow`), refused(/no complete response from 127\.0\.0\.1:\d+ within 0\.3 s/));
  assert.ok(Date.now() - started < 2000);
});

test('an abort of the job signal propagates as the job’s reason, not as a tool failure', async () => {
  const t = ctx();
  const reason = new Error('aborted: cancelled');
  const before = slowRequests;
  const running = tool.run({ url: `${base}/slow` }, t.ctx);
  while (slowRequests === before) await new Promise((r) => setTimeout(r, 5));
  t.abort.abort(reason);
  await assert.rejects(running, (error: unknown) => error === reason);
});

test('allow-list entries match exact hosts, or subdomains with *.', () => {
  const allowed = ['api.example.com', '*.docs.example.org'];
  assert.equal(isAllowedHost('api.example.com', allowed), true);
  assert.equal(isAllowedHost('API.Example.com.', allowed), true);
  assert.equal(isAllowedHost('example.com', allowed), false);
  assert.equal(isAllowedHost('evil-api.example.com', allowed), false);
  assert.equal(isAllowedHost('v1.docs.example.org', allowed), true);
  assert.equal(isAllowedHost('docs.example.org', allowed), false);
  assert.equal(isAllowedHost('docs.example.org.evil.com', allowed), false);
});
