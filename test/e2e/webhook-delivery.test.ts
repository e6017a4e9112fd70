/**
 * Webhook delivery, end to end on both backends: real receivers (HTTP servers on port 0), real
 * dispatchers and workers. A receiver that fails twice gets one delivery in three attempts, signed
 * so that the independent `standardwebhooks` package verifies it; a dispatcher SIGKILLed while it
 * delivers leaves the delivery to the next one; a host that resolves to a private address is
 * refused at delivery time, with nothing sent.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { startDispatcher } from '@agent-runner/dispatcher/main.ts';
import { ulid } from '@agent-runner/shared/domain/ids.ts';
import { createJobRecord, messageFor } from '@agent-runner/shared/domain/job.ts';
import type { WebhookDelivery } from '@agent-runner/shared/domain/webhook-delivery.ts';
import { createLogger } from '@agent-runner/shared/observability/logger.ts';
import { backendNames, startSystem, type TestSystem } from '../support/system.ts';
import { waitFor } from '../support/wait-for.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A receiver that hands each request to `answer`, recording what came. */
async function startReceiver(
  answer: (n: number, res: ServerResponse) => void,
): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      answer(received.length, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received, server };
}

/** A finished echo job with a webhook to `url`, recorded and enqueued as POST /jobs would. */
async function submitWithWebhook(sys: TestSystem, url: string, tenant: string, endpointId: string | null = null): Promise<string> {
  const now = new Date();
  const job = createJobRecord(
    ulid(now),
    {
      jobType: 'echo',
      payload: { message: 'hook me' },
      priority: 'normal',
      tenant,
      orderingKey: null,
      maxAttempts: 1,
      timeoutSeconds: 60,
      webhooks: [{ url, events: ['job.succeeded', 'job.failed'], endpointId }],
    },
    now,
    { payload: { message: 'hook me' }, payloadRef: null },
  );
  await sys.backend.jobs.create(job);
  await sys.backend.queue.enqueue(messageFor(job));
  return job.jobId;
}

async function deliveriesOf(sys: TestSystem, jobId: string): Promise<{ status: number; body: { deliveries: Record<string, unknown>[] } }> {
  const res = await fetch(`${sys.url}/jobs/${jobId}/deliveries`);
  return { status: res.status, body: (await res.json()) as { deliveries: Record<string, unknown>[] } };
}

const settled = (sys: TestSystem, jobId: string, status: WebhookDelivery['status'], timeoutMs = 30_000) =>
  waitFor(
    `the delivery of job ${jobId} to be ${status}`,
    async () => {
      const [delivery] = await sys.backend.webhookDeliveries.listBySubject('job', jobId);
      return delivery?.status === status ? delivery : undefined;
    },
    { timeoutMs, intervalMs: 200 },
  );

for (const name of backendNames()) {
  describe(`webhook delivery (${name})`, () => {
    let sys: TestSystem;
    beforeAll(async () => {
      sys = await startSystem(name, {
        AGENT_RUNNER_WEBHOOK_ALLOW_HTTP: 'true',
        AGENT_RUNNER_WEBHOOK_ALLOW_PRIVATE: 'true',
        AGENT_RUNNER_WEBHOOK_BACKOFF_BASE_SECONDS: '1',
      });
    }, 120_000);
    afterAll(() => sys?.stop());

    test('a receiver answering 500, 500, then 200 gets one delivery in three attempts, signed so standardwebhooks verifies it', async () => {
      const receiver = await startReceiver((n, res) => res.writeHead(n <= 2 ? 500 : 200).end(n <= 2 ? 'not yet' : 'ok'));
      const dispatcher = sys.startDispatcher();
      try {
        const tenant = 'hooked';
        const jobId = await submitWithWebhook(sys, receiver.url, tenant);
        const delivery = await settled(sys, jobId, 'DELIVERED');
        assert.deepEqual(
          delivery.attempts.map((a) => [a.number, a.statusCode]),
          [
            [1, 500],
            [2, 500],
            [3, 200],
          ],
        );
        assert.equal(receiver.received.length, 3, 'three sends, no more');
        // One delivery: the same webhook-id on every send.
        assert.deepEqual(
          receiver.received.map((r) => r.headers['webhook-id']),
          [delivery.deliveryId, delivery.deliveryId, delivery.deliveryId],
        );
        // Verified by an independent implementation of the spec, with the tenant's secret.
        const [secret] = await sys.backend.webhookSecrets.signingSecrets(tenant, new Date());
        const last = receiver.received[2]!;
        const payload = new Webhook(secret!).verify(last.body, last.headers as Record<string, string>) as {
          type: string;
          timestamp: string;
          data: { job_id: string; status: string; result?: { echoed_message?: string } };
        };
        assert.equal(payload.type, 'job.succeeded');
        assert.equal(payload.data.job_id, jobId);
        assert.equal(payload.data.status, 'SUCCEEDED');
        assert.equal(payload.data.result?.echoed_message, 'hook me', 'a small result travels inline');
        assert.equal(payload.timestamp, delivery.createdAt);
        // A tampered body does not verify.
        assert.throws(() => new Webhook(secret!).verify(last.body.replace('hook me', 'hook m3'), last.headers as Record<string, string>));

        const listed = await deliveriesOf(sys, jobId);
        assert.equal(listed.status, 200);
        assert.equal(listed.body.deliveries.length, 1);
        assert.equal(listed.body.deliveries[0]!.status, 'DELIVERED');
        assert.equal(listed.body.deliveries[0]!.last_status_code, 200);
        assert.deepEqual(
          (listed.body.deliveries[0]!.attempts as { status_code: number }[]).map((a) => a.status_code),
          [500, 500, 200],
        );

        const metrics = await dispatcher.metrics.registry.metrics();
        assert.match(metrics, /agent_runner_webhook_attempts_total\{outcome="retrying"[^}]*\} 2\n/);
        assert.match(metrics, /agent_runner_webhook_attempts_total\{outcome="delivered"[^}]*\} 1\n/);
        assert.match(metrics, /agent_runner_webhook_delivery_latency_seconds_count\{[^}]*\} 1\n/);

        // A resend on request: the same delivery id, one more attempt.
        const retry = await fetch(`${sys.url}/jobs/${jobId}/deliveries/${delivery.deliveryId}/retry`, { method: 'POST' });
        assert.equal(retry.status, 202);
        await waitFor('the resend', () => (receiver.received.length === 4 ? true : undefined), { timeoutMs: 30_000 });
        assert.equal(receiver.received[3]!.headers['webhook-id'], delivery.deliveryId);
        const unknown = await fetch(`${sys.url}/jobs/${jobId}/deliveries/msg_nope/retry`, { method: 'POST' });
        assert.equal(unknown.status, 404);
        assert.match(unknown.headers.get('content-type') ?? '', /problem\+json/);
      } finally {
        await sys.stopDispatchers();
        receiver.server.close();
      }
    }, 90_000);

    test('a dispatcher killed (SIGKILL) between the job’s end and its delivery: the next dispatcher delivers', async () => {
      let killed = false;
      const receiver = await startReceiver((n, res) => {
        // The first send is held open until its dispatcher is dead; it is never answered.
        if (n === 1) return;
        res.writeHead(204).end();
      });
      const doomed = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', 'services/dispatcher/src/main.ts'], {
        cwd: REPO,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...sys.env, AGENT_RUNNER_DISPATCHER_PORT: '0' },
        stdio: 'ignore',
      });
      try {
        const jobId = await submitWithWebhook(sys, receiver.url, 'killed');
        await waitFor('the doomed dispatcher to start the delivery', () => (receiver.received.length >= 1 ? true : undefined), {
          timeoutMs: 60_000,
        });
        assert.equal((await sys.backend.jobs.get(jobId))?.status, 'SUCCEEDED', 'the job ended before its delivery');
        doomed.kill('SIGKILL');
        killed = true;
        await new Promise((r) => doomed.once('exit', r));
        sys.startDispatcher();
        const delivery = await settled(sys, jobId, 'DELIVERED', 60_000);
        assert.equal(receiver.received.length, 2, 'sent again, once');
        assert.equal(receiver.received[1]!.headers['webhook-id'], delivery.deliveryId);
        assert.deepEqual(
          delivery.attempts.map((a) => a.statusCode),
          [204],
          'the killed attempt left no record',
        );
      } finally {
        if (!killed) doomed.kill('SIGKILL');
        await sys.stopDispatchers();
        receiver.server.closeAllConnections();
        receiver.server.close();
      }
    }, 120_000);

    test('a receiver answering 410 Gone disables its tenant endpoint: the delivery is DISABLED, not retried', async () => {
      const receiver = await startReceiver((_n, res) => res.writeHead(410).end('gone'));
      const endpointId = `we_${Date.now().toString(16)}`;
      await sys.backend.webhookEndpoints.add({
        endpointId,
        tenant: 'gone',
        url: receiver.url,
        events: ['job.succeeded'],
        createdAt: new Date().toISOString(),
        disabledAt: null,
        disabledReason: null,
      });
      sys.startDispatcher();
      try {
        const jobId = await submitWithWebhook(sys, receiver.url, 'gone', endpointId);
        const delivery = await settled(sys, jobId, 'DISABLED');
        assert.deepEqual(
          delivery.attempts.map((a) => a.statusCode),
          [410],
        );
        const endpoint = await sys.backend.webhookEndpoints.get(endpointId);
        assert.ok(endpoint?.disabledAt, 'the endpoint is disabled');
        assert.match(endpoint.disabledReason ?? '', /410/);
        assert.equal(receiver.received.length, 1, 'sent once');
      } finally {
        await sys.stopDispatchers();
        receiver.server.close();
      }
    }, 60_000);

    test('a host that resolves to a private address is refused at delivery time: recorded, nothing sent', async () => {
      const receiver = await startReceiver((_n, res) => res.writeHead(200).end());
      // This dispatcher alone keeps the SSRF check (the system allows private addresses for the other receivers).
      const config = { ...sys.config, webhooks: { ...sys.config.webhooks, allowPrivate: false } };
      const dispatcher = startDispatcher(config, sys.backend, createLogger('test', 'warn'), { launcher: sys.launcher });
      try {
        const port = new URL(receiver.url).port;
        const jobId = await submitWithWebhook(sys, `http://localhost:${port}/hook`, 'private');
        const delivery = await settled(sys, jobId, 'FAILED');
        assert.equal(delivery.attempts.length, 1);
        assert.equal(delivery.attempts[0]!.statusCode, null);
        assert.match(delivery.attempts[0]!.error ?? '', /localhost resolves to (127\.0\.0\.1|::1), not a public address/);
        assert.equal(receiver.received.length, 0, 'nothing was sent');
        const listed = await deliveriesOf(sys, jobId);
        assert.match(String((listed.body.deliveries[0]!.attempts as { error: string }[])[0]!.error), /not a public address/);
      } finally {
        await dispatcher.stop();
        receiver.server.close();
      }
    }, 60_000);
  });
}
