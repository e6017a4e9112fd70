/**
 * Webhooks on the API, on a real server over each backend: `webhook` on POST /jobs (checked, stored
 * with the tenant's endpoints as the job's targets, shown back), the submit-time SSRF refusal and its
 * switch, and the admin routes for a tenant's default endpoints. Names are resolved by a table the
 * test controls (as a DNS server would answer), `localhost` by the system; IP literals are not resolved.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { startApi, type RunningApi } from '@agent-runner/api/main.ts';
import { mintApiKey } from '@agent-runner/shared/auth/api-key-format.ts';
import { loadConfig } from '@agent-runner/shared/config/config.ts';
import { JOB_WEBHOOK_EVENTS } from '@agent-runner/shared/domain/webhook-target.ts';
import { resolveWithSystem, type ResolveHost } from '@agent-runner/shared/net/public-lookup.ts';
import { createLogger } from '@agent-runner/shared/observability/logger.ts';
import type { ApiKeyScope } from '@agent-runner/shared/ports/api-keys.ts';
import { backendsUnderTest, openBackend, type OpenedBackend } from '../../support/backends.ts';
import { PROBLEM_JSON, postJson } from './api-fixture.ts';

const DNS: Record<string, string[]> = {
  'hooks.example.com': ['93.184.215.14'],
  'metadata.example.com': ['169.254.169.254'],
  'loopback.example.com': ['127.0.0.1'],
  'intranet.example.com': ['93.184.215.14', '10.1.2.3'],
};
/** The table's names; `localhost` as the system resolves it (the hosts file); any other name does not resolve. */
const resolveHost: ResolveHost = async (host) => {
  if (host === 'localhost') return resolveWithSystem(host);
  const addresses = DNS[host];
  if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return addresses.map((address) => ({ address, family: 4 }));
};

const uniqueTenant = () => `wh-${randomUUID().slice(0, 8)}`;
const echo = (tenant: string, webhook?: unknown) => ({
  job_type: 'echo',
  payload: { message: 'hi' },
  tenant,
  ...(webhook !== undefined && { webhook }),
});

interface Problem {
  type: string;
  status: number;
  detail: string;
  errors?: { path: string; message: string }[];
}

for (const target of backendsUnderTest()) {
  describe(`webhooks on the API (${target.name})`, () => {
    let opened: OpenedBackend;
    /** Private destinations refused (the default). */
    let strict: RunningApi;
    /** AGENT_RUNNER_WEBHOOK_ALLOW_PRIVATE=true and AGENT_RUNNER_WEBHOOK_ALLOW_HTTP=true. */
    let lenient: RunningApi;
    /** AGENT_RUNNER_AUTH=required, for the admin-only rule. */
    let guarded: RunningApi;
    const log = createLogger('webhooks-api-test', 'warn');

    beforeAll(async () => {
      opened = await openBackend(target, { AGENT_RUNNER_PORT: '0' });
      strict = await startApi(opened.config, opened.backend, log, { resolveHost });
      const variant = (env: Record<string, string>) => loadConfig({ ...opened.env, ...env });
      lenient = await startApi(
        variant({ AGENT_RUNNER_WEBHOOK_ALLOW_PRIVATE: 'true', AGENT_RUNNER_WEBHOOK_ALLOW_HTTP: 'true' }),
        opened.backend,
        log,
        { resolveHost },
      );
      guarded = await startApi(variant({ AGENT_RUNNER_AUTH: 'required' }), opened.backend, log, { resolveHost });
    });
    afterAll(async () => {
      await Promise.all([strict, lenient, guarded].map((api) => api?.close()));
      await opened?.close();
    });

    async function problemOf(res: Response, status: number): Promise<Problem> {
      assert.equal(res.status, status);
      assert.equal(res.headers.get('content-type'), PROBLEM_JSON);
      return (await res.json()) as Problem;
    }
    const jobsOf = async (tenant: string) => (await opened.backend.jobs.list({ tenant, limit: 100 })).jobs;

    test("a job's webhook is stored as its target, shown back on the job, and defaults to every terminal event", async () => {
      const tenant = uniqueTenant();
      const res = await postJson(
        `${strict.url}/jobs`,
        echo(tenant, { url: 'https://hooks.example.com/in?team=7', events: ['job.failed'] }),
      );
      assert.equal(res.status, 202);
      const view = (await res.json()) as { job_id: string; webhook: unknown };
      assert.deepEqual(view.webhook, { url: 'https://hooks.example.com/in?team=7', events: ['job.failed'] });
      const fetched = (await (await fetch(`${strict.url}/jobs/${view.job_id}`)).json()) as { webhook: unknown };
      assert.deepEqual(fetched.webhook, view.webhook);
      assert.deepEqual((await opened.backend.jobs.get(view.job_id))?.webhooks, [
        { url: 'https://hooks.example.com/in?team=7', events: ['job.failed'], endpointId: null },
      ]);

      const defaulted = (await (await postJson(`${strict.url}/jobs`, echo(tenant, { url: 'https://93.184.215.14/' }))).json()) as {
        webhook: { events: string[] };
      };
      assert.deepEqual(defaulted.webhook.events, [...JOB_WEBHOOK_EVENTS]);
      const none = (await (await postJson(`${strict.url}/jobs`, echo(tenant))).json()) as { job_id: string; webhook: unknown };
      assert.equal(none.webhook, null);
      assert.deepEqual((await opened.backend.jobs.get(none.job_id))?.webhooks, []);
    });

    test("a job's targets are its own webhook plus the tenant's enabled endpoints at submit time", async () => {
      const tenant = uniqueTenant();
      const add = async (body: unknown) => {
        const res = await postJson(`${strict.url}/tenants/${tenant}/webhooks`, body);
        assert.equal(res.status, 201);
        return (await res.json()) as { endpoint_id: string };
      };
      const failures = await add({ url: 'https://hooks.example.com/failures', events: ['job.failed', 'job.timed_out'] });
      const gone = await add({ url: 'https://hooks.example.com/gone' });
      await opened.backend.webhookEndpoints.disable(gone.endpoint_id, 'receiver answered 410 Gone', new Date());

      const res = await postJson(`${strict.url}/jobs`, echo(tenant, { url: 'https://hooks.example.com/own' }));
      const view = (await res.json()) as { job_id: string; webhook: unknown };
      assert.deepEqual(view.webhook, { url: 'https://hooks.example.com/own', events: [...JOB_WEBHOOK_EVENTS] }, 'only its own');
      assert.deepEqual((await opened.backend.jobs.get(view.job_id))?.webhooks, [
        { url: 'https://hooks.example.com/own', events: [...JOB_WEBHOOK_EVENTS], endpointId: null },
        { url: 'https://hooks.example.com/failures', events: ['job.failed', 'job.timed_out'], endpointId: failures.endpoint_id },
      ]);
      // Another tenant's job reports to none of them.
      const other = (await (await postJson(`${strict.url}/jobs`, echo(uniqueTenant()))).json()) as { job_id: string };
      assert.deepEqual((await opened.backend.jobs.get(other.job_id))?.webhooks, []);
    });

    test('a malformed webhook is a 400 naming the field, and records nothing', async () => {
      const tenant = uniqueTenant();
      const cases: [unknown, string, RegExp][] = [
        [{ url: 'https://hooks.example.com/', events: ['job.exploded'] }, 'webhook.events[0]', /job\.succeeded/],
        [{ url: 'https://hooks.example.com/', events: [] }, 'webhook.events', /./],
        [{ url: 'not a url' }, 'webhook.url', /absolute URL/],
        [{ url: 'http://hooks.example.com/' }, 'webhook.url', /https: URL .*AGENT_RUNNER_WEBHOOK_ALLOW_HTTP/],
        [{ url: 'ftp://hooks.example.com/' }, 'webhook.url', /https: URL/],
        [{ url: 'https://user:secret@hooks.example.com/' }, 'webhook.url', /user name or password/],
        [{ url: 'https://hooks.example.com/', secret: 'x' }, 'webhook.secret', /unknown field/],
        [{ events: ['job.failed'] }, 'webhook.url', /required/],
        ['https://hooks.example.com/', 'webhook', /object/],
      ];
      for (const [webhook, path, message] of cases) {
        const problem = await problemOf(await postJson(`${strict.url}/jobs`, echo(tenant, webhook)), 400);
        const error = problem.errors?.find((e) => e.path === path);
        assert.ok(error, `${JSON.stringify(webhook)}: an error at ${path} in ${JSON.stringify(problem.errors)}`);
        assert.match(error.message, message, JSON.stringify(webhook));
      }
      assert.deepEqual(await jobsOf(tenant), []);
    });

    test('SSRF: a host that is or resolves to loopback, link-local (metadata) or private is refused at submit time', async () => {
      const tenant = uniqueTenant();
      const cases: [string, RegExp][] = [
        ['https://localhost:8443/hook', /localhost resolves to (127\.0\.0\.1|::1), not a public address \(loopback\)/],
        ['https://127.0.0.1/hook', /127\.0\.0\.1 is not a public address \(loopback\)/],
        ['https://[::1]/hook', /::1 is not a public address \(loopback\)/],
        ['https://169.254.169.254/latest/meta-data/', /169\.254\.169\.254 is not a public address \(link-local\)/],
        ['https://metadata.example.com/hook', /metadata\.example\.com resolves to 169\.254\.169\.254, not a public address \(link-local\)/],
        ['https://loopback.example.com/hook', /resolves to 127\.0\.0\.1, not a public address \(loopback\)/],
        ['https://intranet.example.com/hook', /resolves to 10\.1\.2\.3, not a public address \(private\)/],
        ['https://[fd12::1]/hook', /unique-local/],
        ['https://nowhere.example.com/hook', /does not resolve/],
      ];
      for (const [url, message] of cases) {
        const problem = await problemOf(await postJson(`${strict.url}/jobs`, echo(tenant, { url })), 400);
        assert.equal(problem.errors?.[0]?.path, 'webhook.url', url);
        assert.match(problem.detail, message, url);
        if (!/does not resolve/.test(problem.detail)) assert.match(problem.detail, /AGENT_RUNNER_WEBHOOK_ALLOW_PRIVATE/);
      }
      assert.deepEqual(await jobsOf(tenant), [], 'nothing recorded');
    });

    test('with AGENT_RUNNER_WEBHOOK_ALLOW_PRIVATE (and _ALLOW_HTTP) the same destinations are accepted', async () => {
      const tenant = uniqueTenant();
      for (const url of [
        'https://localhost:8443/hook',
        'http://127.0.0.1:9/hook',
        'https://169.254.169.254/latest/meta-data/',
        'https://metadata.example.com/hook',
      ]) {
        const res = await postJson(`${lenient.url}/jobs`, echo(tenant, { url }));
        assert.equal(res.status, 202, `${url}: ${await res.clone().text()}`);
        assert.equal(((await res.json()) as { webhook: { url: string } }).webhook.url, url);
      }
      // Credentials are refused whatever the switches say.
      await problemOf(await postJson(`${lenient.url}/jobs`, echo(tenant, { url: 'http://u:p@127.0.0.1/' })), 400);
      assert.equal((await jobsOf(tenant)).length, 4);
    });

    describe('tenant endpoints (admin routes)', () => {
      test('add, list, remove: 201 with Location, oldest first, 204, then 404', async () => {
        const tenant = uniqueTenant();
        const base = `${strict.url}/tenants/${tenant}/webhooks`;
        assert.deepEqual(await (await fetch(base)).json(), { endpoints: [] });

        const res = await postJson(base, { url: 'https://hooks.example.com/a', events: ['job.succeeded', 'pipeline.failed'] });
        assert.equal(res.status, 201);
        const added = (await res.json()) as Record<string, unknown> & { endpoint_id: string };
        assert.match(added.endpoint_id, /^we_[0-9a-f]{16}$/);
        assert.equal(res.headers.get('location'), `/tenants/${tenant}/webhooks/${added.endpoint_id}`);
        assert.deepEqual(
          { ...added, endpoint_id: undefined, created_at: undefined },
          {
            endpoint_id: undefined,
            tenant,
            url: 'https://hooks.example.com/a',
            events: ['job.succeeded', 'pipeline.failed'],
            created_at: undefined,
            disabled_at: null,
            disabled_reason: null,
          },
        );
        const second = (await (await postJson(base, { url: 'https://hooks.example.com/b' })).json()) as { endpoint_id: string };
        const listed = (await (await fetch(base)).json()) as { endpoints: { endpoint_id: string; events: string[] }[] };
        assert.deepEqual(
          listed.endpoints.map((e) => e.endpoint_id),
          [added.endpoint_id, second.endpoint_id],
        );
        assert.deepEqual(listed.endpoints[1]?.events, [...JOB_WEBHOOK_EVENTS]);
        assert.deepEqual(await (await fetch(`${strict.url}/tenants/${uniqueTenant()}/webhooks`)).json(), { endpoints: [] });

        // Another tenant cannot remove it.
        await problemOf(await fetch(`${strict.url}/tenants/${uniqueTenant()}/webhooks/${added.endpoint_id}`, { method: 'DELETE' }), 404);
        const removed = await fetch(`${base}/${added.endpoint_id}`, { method: 'DELETE' });
        assert.equal(removed.status, 204);
        await problemOf(await fetch(`${base}/${added.endpoint_id}`, { method: 'DELETE' }), 404);
        await problemOf(await fetch(`${base}/not-an-id`, { method: 'DELETE' }), 404);
        const left = (await (await fetch(base)).json()) as { endpoints: { endpoint_id: string }[] };
        assert.deepEqual(
          left.endpoints.map((e) => e.endpoint_id),
          [second.endpoint_id],
        );
      });

      test('a bad body, URL or destination is a 400 problem naming the field, and adds nothing', async () => {
        const tenant = uniqueTenant();
        const base = `${strict.url}/tenants/${tenant}/webhooks`;
        const cases: [unknown, string][] = [
          [{}, 'url'],
          [{ url: 'https://hooks.example.com/', events: ['job.nope'] }, 'events[0]'],
          [{ url: 'https://hooks.example.com/', extra: 1 }, 'extra'],
          [{ url: 'http://hooks.example.com/' }, 'url'],
          [{ url: 'https://metadata.example.com/' }, 'url'],
          [{ url: 'https://127.0.0.1/' }, 'url'],
        ];
        for (const [body, path] of cases) {
          const problem = await problemOf(await postJson(base, body), 400);
          assert.ok(
            problem.errors?.some((e) => e.path === path),
            `${JSON.stringify(body)}: ${path} in ${JSON.stringify(problem.errors)}`,
          );
        }
        await problemOf(
          await postJson(`${strict.url}/tenants/${encodeURIComponent('a b')}/webhooks`, { url: 'https://hooks.example.com/' }),
          400,
        );
        assert.deepEqual(await opened.backend.webhookEndpoints.list(tenant), []);
      });

      test('only an admin key may use them: 401 without a key, 403 with a tenant key, even for its own tenant', async () => {
        const key = async (tenant: string, scopes: ApiKeyScope[]) => {
          const minted = mintApiKey();
          await opened.backend.apiKeys.create({
            keyId: minted.keyId,
            tenant,
            name: null,
            scopes,
            hash: minted.hash,
            createdAt: new Date().toISOString(),
            lastUsedAt: null,
            revokedAt: null,
          });
          return { authorization: `Bearer ${minted.key}` };
        };
        const tenant = uniqueTenant();
        const base = `${guarded.url}/tenants/${tenant}/webhooks`;
        const own = await key(tenant, ['submit', 'read', 'cancel']);
        const admin = await key('ops', ['admin']);

        await problemOf(await fetch(base), 401);
        await problemOf(await fetch(base, { headers: own }), 403);
        await problemOf(await postJson(base, { url: 'https://hooks.example.com/' }, own), 403);
        const added = await postJson(base, { url: 'https://hooks.example.com/' }, admin);
        assert.equal(added.status, 201);
        const { endpoint_id } = (await added.json()) as { endpoint_id: string };
        await problemOf(await fetch(`${base}/${endpoint_id}`, { method: 'DELETE', headers: own }), 403);
        assert.equal((await opened.backend.webhookEndpoints.list(tenant)).length, 1);
        assert.equal((await fetch(base, { headers: admin })).status, 200);
        assert.equal((await fetch(`${base}/${endpoint_id}`, { method: 'DELETE', headers: admin })).status, 204);
      });
    });
  });
}
