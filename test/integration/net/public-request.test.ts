/**
 * requestPublicUrl against a real local HTTP server: a name that resolves to a non-public address is
 * refused before any connection, the metadata address too; with private addresses allowed the same
 * server answers; redirects come back unfollowed; the body is capped and the time limited.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, test } from 'vitest';
import { NonPublicAddressError, RequestTimeoutError } from '@agent-runner/shared/net/net-errors.ts';
import { resolvePublicAddresses, type ResolveHost } from '@agent-runner/shared/net/public-lookup.ts';
import { requestPublicUrl, type PublicRequestOptions } from '@agent-runner/shared/net/public-request.ts';

let server: Server;
let port: number;
let seen: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.url ?? '');
    switch (req.url) {
      case '/text':
        res.writeHead(200, { 'content-type': 'text/plain' });
        return res.end('hello');
      case '/hop':
        res.writeHead(302, { location: '/text' });
        return res.end('moved');
      case '/big':
        res.writeHead(200, { 'content-type': 'text/plain' });
        return res.end('x'.repeat(100_000));
      case '/slow':
        return; // never answers
      default:
        res.writeHead(404);
        return res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(
  () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
);
beforeEach(() => {
  seen = [];
});

/** A hosts file for the test: names that resolve where the test needs, counting each resolution. */
function hosts(entries: Record<string, string>): ResolveHost & { calls: string[] } {
  const calls: string[] = [];
  const resolve = async (host: string) => {
    calls.push(host);
    const address = entries[host];
    if (address === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return [{ address, family: address.includes(':') ? 6 : 4 }];
  };
  return Object.assign(resolve, { calls });
}

const options = (extra: Partial<PublicRequestOptions> = {}): PublicRequestOptions => ({
  timeoutMs: 2000,
  maxBodyBytes: 1024,
  allowPrivate: false,
  ...extra,
});
const refusedAs = (address: string, range: string) => (error: unknown) =>
  error instanceof NonPublicAddressError && error.address === address && error.range === range;

test('a public-looking name that resolves to 127.0.0.1 is refused, and the server sees no request', async () => {
  const resolve = hosts({ 'docs.example.com': '127.0.0.1' });
  await assert.rejects(
    requestPublicUrl(new URL(`http://docs.example.com:${port}/text`), options({ resolve })),
    (error: unknown) =>
      refusedAs('127.0.0.1', 'loopback')(error) &&
      (error as Error).message === 'docs.example.com resolves to 127.0.0.1, not a public address (loopback)',
  );
  assert.deepEqual(resolve.calls, ['docs.example.com']);
  assert.deepEqual(seen, []);
});

test('https is checked the same way, before any TLS handshake', async () => {
  const resolve = hosts({ 'docs.example.com': '127.0.0.1' });
  await assert.rejects(
    requestPublicUrl(new URL(`https://docs.example.com:${port}/text`), options({ resolve })),
    refusedAs('127.0.0.1', 'loopback'),
  );
  assert.deepEqual(seen, []);
});

test('a name with one public and one private answer is refused: any non-public answer refuses it', async () => {
  const resolve: ResolveHost = async () => [
    { address: '93.184.216.34', family: 4 },
    { address: 'fd00::5', family: 6 },
  ];
  await assert.rejects(resolvePublicAddresses('mixed.example.com', { allowPrivate: false, resolve }), refusedAs('fd00::5', 'unique-local'));
  assert.equal((await resolvePublicAddresses('mixed.example.com', { allowPrivate: true, resolve })).length, 2);
  assert.deepEqual(await resolvePublicAddresses('[2606:4700::1]', { allowPrivate: false, resolve }), [
    { address: '2606:4700::1', family: 6 },
  ]);
});

test('localhost through the system resolver is refused, and the server sees no request', async () => {
  await assert.rejects(
    requestPublicUrl(new URL(`http://localhost:${port}/text`), options()),
    (error: unknown) => error instanceof NonPublicAddressError && error.range === 'loopback',
  );
  assert.deepEqual(seen, []);
});

test('the metadata address is refused without connecting, as a literal or behind a name', async () => {
  const started = Date.now();
  await assert.rejects(
    requestPublicUrl(new URL('http://169.254.169.254/latest/meta-data/'), options()),
    refusedAs('169.254.169.254', 'link-local'),
  );
  const resolve = hosts({ 'metadata.example.com': '169.254.169.254', 'v6.example.com': '::ffff:169.254.169.254' });
  await assert.rejects(
    requestPublicUrl(new URL('http://metadata.example.com/'), options({ resolve })),
    refusedAs('169.254.169.254', 'link-local'),
  );
  await assert.rejects(
    requestPublicUrl(new URL('http://v6.example.com/'), options({ resolve })),
    refusedAs('::ffff:169.254.169.254', 'link-local'),
  );
  await assert.rejects(requestPublicUrl(new URL('http://[::ffff:a9fe:a9fe]/'), options()), refusedAs('::ffff:a9fe:a9fe', 'link-local'));
  // A connection attempt to 169.254.169.254 here would hang until the 2 s timeout or fail with a network error.
  assert.ok(Date.now() - started < 1000, `refusals took ${Date.now() - started} ms`);
});

test('with private addresses allowed, the same name reaches the loopback server, resolved once', async () => {
  const resolve = hosts({ 'docs.example.com': '127.0.0.1' });
  const response = await requestPublicUrl(new URL(`http://docs.example.com:${port}/text`), options({ resolve, allowPrivate: true }));
  assert.equal(response.status, 200);
  assert.equal(new TextDecoder().decode(response.body), 'hello');
  assert.equal(response.truncated, false);
  assert.equal(response.address, '127.0.0.1');
  assert.deepEqual(resolve.calls, ['docs.example.com']);
  assert.deepEqual(seen, ['/text']);
});

test('a redirect is returned as it is, not followed', async () => {
  const response = await requestPublicUrl(new URL(`http://127.0.0.1:${port}/hop`), options({ allowPrivate: true }));
  assert.equal(response.status, 302);
  assert.equal(response.headers.location, '/text');
  assert.equal(new TextDecoder().decode(response.body), 'moved');
  assert.deepEqual(seen, ['/hop']);
});

test('the body is read up to the cap and marked truncated', async () => {
  const response = await requestPublicUrl(new URL(`http://127.0.0.1:${port}/big`), options({ allowPrivate: true, maxBodyBytes: 1024 }));
  assert.equal(response.body.byteLength, 1024);
  assert.equal(response.truncated, true);
});

test('a server that does not answer in time is a RequestTimeoutError; an abort rejects with its reason', async () => {
  const started = Date.now();
  await assert.rejects(
    requestPublicUrl(new URL(`http://127.0.0.1:${port}/slow`), options({ allowPrivate: true, timeoutMs: 300 })),
    (error: unknown) => error instanceof RequestTimeoutError && /within 0\.3 s/.test(error.message),
  );
  assert.ok(Date.now() - started < 2000);
  const abort = new AbortController();
  const reason = new Error('job cancelled');
  const running = requestPublicUrl(new URL(`http://127.0.0.1:${port}/slow`), options({ allowPrivate: true, signal: abort.signal }));
  while (!seen.includes('/slow') || seen.length < 2) await new Promise((r) => setTimeout(r, 5));
  abort.abort(reason);
  await assert.rejects(running, (error: unknown) => error === reason);
});

test('a name that does not resolve fails with the resolver’s error, not a refusal', async () => {
  await assert.rejects(
    requestPublicUrl(new URL('http://nowhere.example.com/'), options({ resolve: hosts({}) })),
    (error: unknown) => !(error instanceof NonPublicAddressError) && (error as NodeJS.ErrnoException).code === 'ENOTFOUND',
  );
});
