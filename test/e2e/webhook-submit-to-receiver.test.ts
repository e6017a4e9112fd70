/**
 * The submit and management side of webhooks meeting delivery, on both backends: a job submitted
 * over HTTP with its own `webhook`, for a tenant with a default endpoint added by the CLI, reports
 * to both receivers; each delivery verifies (the independent `standardwebhooks` package) with the
 * secret `agent-runner webhooks secret show` prints, and only with it; after a rotation both the
 * new and the previous secret verify the next delivery.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { runCli } from '../support/cli.ts';
import { backendNames, startSystem, type TestSystem } from '../support/system.ts';
import { waitFor } from '../support/wait-for.ts';

interface Received {
  headers: Record<string, string>;
  body: string;
}

async function startReceiver(): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      received.push({ headers: req.headers as IncomingHttpHeaders as Record<string, string>, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received, server };
}

const verifies = (secret: string, r: Received) => {
  try {
    new Webhook(secret).verify(r.body, r.headers);
    return true;
  } catch {
    return false;
  }
};

for (const name of backendNames()) {
  describe(`webhooks from POST /jobs to the receiver (${name})`, () => {
    let sys: TestSystem;
    const receivers: Awaited<ReturnType<typeof startReceiver>>[] = [];
    beforeAll(async () => {
      sys = await startSystem(name, { AGENT_RUNNER_WEBHOOK_ALLOW_HTTP: 'true', AGENT_RUNNER_WEBHOOK_ALLOW_PRIVATE: 'true' });
      sys.startDispatcher();
    }, 120_000);
    afterAll(async () => {
      for (const r of receivers) r.server.close();
      await sys?.stop();
    });

    test("the job's own webhook and the tenant's endpoint both get a delivery signed with the shown secret", async () => {
      const tenant = `e2e-${randomUUID().slice(0, 8)}`;
      const own = await startReceiver();
      const endpoint = await startReceiver();
      receivers.push(own, endpoint);
      const cli = (args: string[]) => runCli(['webhooks', ...args], sys.env);

      const added = await cli(['add', '--tenant', tenant, endpoint.url, '--events', 'job.succeeded']);
      assert.equal(added.code, 0, added.stderr);
      const shown = await cli(['secret', 'show', '--tenant', tenant]);
      assert.equal(shown.code, 0, shown.stderr);
      const secret = shown.stdout.trim();

      const submit = async () => {
        const res = await fetch(`${sys.url}/jobs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ job_type: 'echo', payload: { message: 'report back' }, tenant, webhook: { url: own.url } }),
        });
        assert.equal(res.status, 202, await res.clone().text());
        return ((await res.json()) as { job_id: string }).job_id;
      };
      const jobId = await submit();
      await waitFor(
        'both receivers to get the delivery',
        () => (own.received.length >= 1 && endpoint.received.length >= 1 ? true : undefined),
        {
          timeoutMs: 60_000,
          intervalMs: 200,
        },
      );
      for (const r of [own.received[0]!, endpoint.received[0]!]) {
        assert.ok(verifies(secret, r), 'verifies with the secret `secret show` printed');
        assert.ok(!verifies(`whsec_${Buffer.alloc(32, 7).toString('base64')}`, r), 'and not with another');
        const payload = JSON.parse(r.body) as { type: string; data: { job_id: string; tenant: string; webhook: unknown } };
        assert.equal(payload.type, 'job.succeeded');
        assert.equal(payload.data.job_id, jobId);
        assert.equal(payload.data.tenant, tenant);
        assert.deepEqual(payload.data.webhook, { url: own.url, events: ['job.succeeded', 'job.failed', 'job.timed_out', 'job.cancelled'] });
      }
      assert.notEqual(own.received[0]!.headers['webhook-id'], endpoint.received[0]!.headers['webhook-id'], 'one delivery per target');

      // Rotation: the next job's deliveries carry both signatures, so either secret verifies them.
      const rotated = await cli(['secret', 'rotate', '--tenant', tenant]);
      assert.equal(rotated.code, 0, rotated.stderr);
      const fresh = rotated.stdout.trim();
      await submit();
      await waitFor('the second delivery', () => (own.received.length >= 2 ? true : undefined), { timeoutMs: 60_000, intervalMs: 200 });
      const second = own.received[1]!;
      assert.equal(second.headers['webhook-signature']?.split(' ').length, 2, 'two signatures during the overlap');
      assert.ok(verifies(fresh, second), 'the new secret verifies');
      assert.ok(verifies(secret, second), 'the previous one still does');
    }, 150_000);
  });
}
