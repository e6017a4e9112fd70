import assert from 'node:assert/strict';
import { test } from 'vitest';
import { UnavailableError, ValidationError } from '../domain/errors.ts';
import type { ResolveHost } from '../net/public-lookup.ts';
import { checkWebhookDestination, type WebhookDestinationRules } from './webhook-destination.ts';

/** A resolver that answers from a table, as a DNS server under a test's control would. */
const resolveFrom =
  (table: Record<string, string[]>): ResolveHost =>
  async (host) => {
    const addresses = table[host];
    if (addresses === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

const resolve = resolveFrom({
  'hooks.example.com': ['93.184.215.14'],
  'metadata.example.com': ['169.254.169.254'],
  'rebinding.example.com': ['93.184.215.14', '10.0.0.5'],
  'ula.example.com': ['fd00::1'],
});
const strict = { allowHttp: false, allowPrivate: false, resolve };

async function refusal(url: string, rules: WebhookDestinationRules = strict): Promise<string> {
  const error = await checkWebhookDestination(url, rules, 'webhook.url').then(
    () => assert.fail(`${url} was accepted`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ValidationError);
  assert.equal(error.status, 400);
  assert.equal(error.errors[0]?.path, 'webhook.url');
  return error.message;
}

test('a host that resolves to public addresses only is accepted', async () => {
  await checkWebhookDestination('https://hooks.example.com/in', strict, 'webhook.url');
});

test('loopback, link-local (metadata), private and unique-local destinations are refused, by name or literal', async () => {
  assert.match(await refusal('https://metadata.example.com/'), /169\.254\.169\.254, not a public address \(link-local\)/);
  assert.match(await refusal('https://169.254.169.254/latest/meta-data/'), /link-local/);
  assert.match(await refusal('https://127.0.0.1:8443/'), /loopback/);
  assert.match(await refusal('https://[::1]/'), /loopback/);
  assert.match(await refusal('https://ula.example.com/'), /unique-local/);
  // One private answer among public ones is enough to refuse: the connection could go to either.
  assert.match(await refusal('https://rebinding.example.com/'), /10\.0\.0\.5.*private/);
});

test('localhost is refused through the system resolver too', async () => {
  assert.match(await refusal('https://localhost:9/', { allowHttp: false, allowPrivate: false }), /loopback/);
});

test('a name that does not resolve is refused, saying so', async () => {
  assert.match(await refusal('https://nowhere.example.com/'), /does not resolve \(ENOTFOUND\)/);
});

test('AGENT_RUNNER_WEBHOOK_ALLOW_PRIVATE accepts private destinations without resolving them', async () => {
  const rules = { allowHttp: true, allowPrivate: true, resolve: resolveFrom({}) };
  await checkWebhookDestination('http://127.0.0.1:9/hook', rules, 'webhook.url');
  await checkWebhookDestination('https://metadata.example.com/', rules, 'webhook.url');
  // The form of the URL is still checked.
  assert.match(await refusal('https://u:p@127.0.0.1/', rules), /user name or password/);
});

test('a resolver that does not answer in time is a 503 (UnavailableError), not a refusal of the URL', async () => {
  const hanging: ResolveHost = () => new Promise(() => {});
  await assert.rejects(
    checkWebhookDestination('https://slow.example.com/', { ...strict, resolve: hanging, resolveTimeoutMs: 50 }, 'webhook.url'),
    (error: unknown) => error instanceof UnavailableError && /resolving slow\.example\.com took longer than 0\.05 s/.test(error.message),
  );
});
