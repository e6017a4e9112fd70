/**
 * A pipeline's `webhook`, on both backends: its end is written with the delivery it owes (the
 * outbox), and the dispatcher delivers `pipeline.succeeded` with the pipeline's view, signed so
 * the independent `standardwebhooks` package verifies it.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { backendNames, startSystem, type TestSystem } from '../support/system.ts';
import { waitFor } from '../support/wait-for.ts';

for (const name of backendNames()) {
  describe(`pipeline webhooks (${name})`, () => {
    let sys: TestSystem;
    beforeAll(async () => {
      sys = await startSystem(name, { AGENT_RUNNER_WEBHOOK_ALLOW_HTTP: 'true', AGENT_RUNNER_WEBHOOK_ALLOW_PRIVATE: 'true' });
      sys.startDispatcher();
    }, 120_000);
    afterAll(() => sys?.stop());

    test('a pipeline that succeeds reports pipeline.succeeded with its steps, signed', async () => {
      const received: { headers: IncomingHttpHeaders; body: string }[] = [];
      const server = createServer((req, res) => {
        let body = '';
        req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        req.on('end', () => {
          received.push({ headers: req.headers, body });
          res.writeHead(200).end('ok');
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
        const res = await fetch(`${sys.url}/pipelines`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            steps: [
              { name: 'a', job_type: 'echo', payload: { message: 'one' } },
              { name: 'b', needs: ['a'], job_type: 'echo', payload: { message: { $from: 'a', pointer: '/echoed_message' } } },
            ],
            webhook: { url },
          }),
        });
        assert.equal(res.status, 202);
        const id = ((await res.json()) as { pipeline_id: string }).pipeline_id;
        const delivery = await waitFor(
          'the pipeline delivery to be DELIVERED',
          async () => {
            const [d] = await sys.backend.webhookDeliveries.listBySubject('pipeline', id);
            return d?.status === 'DELIVERED' ? d : undefined;
          },
          { timeoutMs: 120_000, intervalMs: 250 },
        );
        assert.equal(delivery.event, 'pipeline.succeeded');
        assert.equal(received.length, 1);
        const sent = received[0]!;
        const body = JSON.parse(sent.body) as {
          type: string;
          data: { pipeline_id: string; status: string; steps: { name: string; status: string }[] };
        };
        assert.equal(body.type, 'pipeline.succeeded');
        assert.equal(body.data.pipeline_id, id);
        assert.equal(body.data.status, 'SUCCEEDED');
        assert.deepEqual(
          body.data.steps.map((s) => [s.name, s.status]),
          [
            ['a', 'SUCCEEDED'],
            ['b', 'SUCCEEDED'],
          ],
        );
        const [secret] = await sys.backend.webhookSecrets.signingSecrets(sys.config.defaults.tenant, new Date());
        const headers = Object.fromEntries(Object.entries(sent.headers).map(([k, v]) => [k, String(v)]));
        assert.doesNotThrow(() => new Webhook(secret!).verify(sent.body, headers));
      } finally {
        server.close();
      }
    }, 180_000);

    test("POST /jobs with then and a webhook: every job of the chain reports to it; a skipped one doesn't", async () => {
      const received: { type: string; jobId: string; step: string | null }[] = [];
      const server = createServer((req, res) => {
        let body = '';
        req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        req.on('end', () => {
          const parsed = JSON.parse(body) as { type: string; data: { job_id: string; pipeline: { step: string } | null } };
          received.push({ type: parsed.type, jobId: parsed.data.job_id, step: parsed.data.pipeline?.step ?? null });
          res.writeHead(200).end('ok');
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
        const res = await fetch(`${sys.url}/jobs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            job_type: 'echo',
            payload: { message: 'one' },
            webhook: { url },
            // biome-ignore lint/suspicious/noThenProperty: POST /jobs names the field `then`; this body is never awaited.
            then: [
              { job_type: 'echo', payload: { message: 'boom', fail: 'fatal' }, max_attempts: 1 },
              { job_type: 'echo', payload: { message: 'never' } },
            ],
          }),
        });
        assert.equal(res.status, 202, await res.clone().text());
        const first = (await res.json()) as { job_id: string; webhook: { url: string } | null; pipeline: { pipeline_id: string } };
        assert.equal(first.webhook?.url, url, 'the first job shows the webhook');
        const pipelineId = first.pipeline.pipeline_id;
        const ended = await waitFor(
          'the chain to end',
          async () => {
            const p = (await (await fetch(`${sys.url}/pipelines/${pipelineId}`)).json()) as {
              status: string;
              steps: { name: string; job_id: string; status: string }[];
            };
            return p.status === 'RUNNING' ? undefined : p;
          },
          { timeoutMs: 150_000, intervalMs: 250 },
        );
        assert.deepEqual(
          ended.steps.map((s) => s.status),
          ['SUCCEEDED', 'FAILED', 'SKIPPED'],
        );
        const last = (await (await fetch(`${sys.url}/jobs/${ended.steps[2]!.job_id}`)).json()) as { webhook: { url: string } | null };
        assert.equal(last.webhook?.url, url, 'every job of the chain carries it');
        await waitFor('two deliveries', async () => (received.length >= 2 ? true : undefined), { timeoutMs: 120_000, intervalMs: 250 });
        // A skipped job would have reported within the dispatcher's next look (0.5 s embedded, a queue message on AWS).
        await new Promise((r) => setTimeout(r, 2_000));
        assert.deepEqual(received.map((r) => [r.type, r.step, r.jobId]).sort(), [
          ['job.failed', 'then-1', ended.steps[1]!.job_id],
          ['job.succeeded', 'job', ended.steps[0]!.job_id],
        ]);
        assert.deepEqual(
          await sys.backend.webhookDeliveries.listBySubject('pipeline', pipelineId),
          [],
          'no pipeline.* delivery was asked for',
        );
      } finally {
        server.close();
      }
    }, 240_000);

    test("the tenant's endpoints hear of each step's job and of the pipeline's end", async () => {
      const received: { type: string; id: string }[] = [];
      const server = createServer((req, res) => {
        let body = '';
        req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        req.on('end', () => {
          const parsed = JSON.parse(body) as { type: string; data: { job_id?: string; pipeline_id?: string } };
          received.push({ type: parsed.type, id: parsed.data.job_id ?? parsed.data.pipeline_id ?? '' });
          res.writeHead(200).end('ok');
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const tenant = `endpoints-${name}`;
      try {
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
        await sys.backend.webhookEndpoints.add({
          endpointId: `we_${name}_steps`,
          tenant,
          url,
          events: ['job.succeeded', 'pipeline.succeeded'],
          createdAt: new Date().toISOString(),
          disabledAt: null,
          disabledReason: null,
        });
        const res = await fetch(`${sys.url}/pipelines`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            tenant,
            steps: [
              { name: 'a', job_type: 'echo', payload: { message: 'one' } },
              { name: 'b', needs: ['a'], job_type: 'echo', payload: { message: 'two' } },
            ],
          }),
        });
        assert.equal(res.status, 202);
        const view = (await res.json()) as { pipeline_id: string; steps: { job_id: string }[] };
        await waitFor('three deliveries', async () => (received.length >= 3 ? true : undefined), { timeoutMs: 120_000, intervalMs: 250 });
        assert.deepEqual(
          received.map((r) => `${r.type} ${r.id}`).sort(),
          [
            `job.succeeded ${view.steps[0]!.job_id}`,
            `job.succeeded ${view.steps[1]!.job_id}`,
            `pipeline.succeeded ${view.pipeline_id}`,
          ].sort(),
        );
      } finally {
        server.close();
      }
    }, 180_000);
  });
}
