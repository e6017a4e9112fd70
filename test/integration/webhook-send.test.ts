/**
 * One webhook send against real receivers on this machine: signatures that the independent
 * `standardwebhooks` package verifies with either secret of a rotation, no redirect followed, a
 * receiver's long answer cut at 1 KB, a slow one timed out, and the URL rules applied before
 * anything is connected.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, test } from 'vitest';
import { sendWebhook } from '@agent-runner/shared/webhooks/send-webhook.ts';
import { webhookHeaders } from '@agent-runner/shared/webhooks/sign-webhook.ts';
import { newWebhookSecret } from '@agent-runner/shared/webhooks/webhook-secret.ts';

const seen: { path: string; headers: IncomingHttpHeaders; body: string }[] = [];
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => (body += c));
    req.on('end', () => {
      seen.push({ path: req.url ?? '', headers: req.headers, body });
      if (req.url === '/redirect') res.writeHead(307, { location: '/target' }).end();
      else if (req.url === '/big') res.writeHead(200).end('x'.repeat(1_000_000));
      else if (req.url === '/slow') setTimeout(() => res.writeHead(200).end(), 3_000);
      else res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const open = { allowHttp: true, allowPrivate: true };

test('every live secret signs: standardwebhooks verifies the send with the old secret and with the new one', async () => {
  const [fresh, old] = [newWebhookSecret(), newWebhookSecret()];
  const body = JSON.stringify({ type: 'job.succeeded', timestamp: new Date().toISOString(), data: { job_id: 'x' } });
  const headers = webhookHeaders('msg_test_001', Math.floor(Date.now() / 1000), body, [fresh, old]);
  assert.equal(headers['webhook-signature'].split(' ').length, 2);
  const sent = await sendWebhook(`${base}/hook`, body, headers, open);
  assert.equal(sent.kind, 'delivered');
  const got = seen.at(-1)!;
  for (const secret of [fresh, old])
    assert.deepEqual(new Webhook(secret).verify(got.body, got.headers as Record<string, string>), JSON.parse(body));
  assert.throws(() => new Webhook(newWebhookSecret()).verify(got.body, got.headers as Record<string, string>), 'a stranger secret fails');
});

test('a redirect is not followed; a long answer is read to 1 KB; a slow receiver times out', async () => {
  const before = seen.length;
  const redirected = await sendWebhook(`${base}/redirect`, '{}', {}, open);
  assert.deepEqual([redirected.kind, redirected.statusCode], ['failed', 307]);
  assert.equal(seen.length, before + 1, 'the redirect target was not requested');
  assert.equal((await sendWebhook(`${base}/big`, '{}', {}, open)).kind, 'delivered');
  const slow = await sendWebhook(`${base}/slow`, '{}', {}, { ...open, timeoutMs: 500 });
  assert.equal(slow.kind, 'failed');
  assert.match(slow.error ?? '', /no complete response from 127\.0\.0\.1:\d+ within 0\.5 s/);
});

test('http without the switch, and a private address without its switch, are refused with nothing sent', async () => {
  const before = seen.length;
  const http = await sendWebhook(`${base}/hook`, '{}', {}, { allowHttp: false, allowPrivate: true });
  assert.deepEqual([http.kind, http.statusCode], ['refused', null]);
  assert.match(http.error ?? '', /https/);
  const metadata = await sendWebhook(`${base}/hook`, '{}', {}, { allowHttp: true, allowPrivate: false });
  assert.equal(metadata.kind, 'refused');
  assert.match(metadata.error ?? '', /127\.0\.0\.1 is not a public address \(loopback\)/);
  const rebound = await sendWebhook(
    'http://hooks.example.com/hook',
    '{}',
    {},
    {
      allowHttp: true,
      allowPrivate: false,
      resolve: async () => [{ address: '169.254.169.254', family: 4 }],
    },
  );
  assert.equal(rebound.kind, 'refused');
  assert.match(rebound.error ?? '', /169\.254\.169\.254/);
  assert.equal(seen.length, before, 'nothing reached the receiver');
});
