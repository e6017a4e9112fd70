/**
 * A job that ended on AWS but whose webhook message never reached the queue (its process died
 * between the write and the send): the dispatcher's sweep finds the PENDING delivery past its next
 * try and delivers it. The job store here has no announcer, so the queue never hears of it; the
 * loop's clock runs a minute ahead so the sweep's grace has passed without waiting for it.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { createAwsClients, type AwsClients } from '@agent-runner/shared/adapters/aws/aws-clients.ts';
import { DynamoDbJobStore } from '@agent-runner/shared/adapters/aws/dynamodb-job-store.ts';
import { ulid } from '@agent-runner/shared/domain/ids.ts';
import { createJobRecord } from '@agent-runner/shared/domain/job.ts';
import { cancelJob } from '@agent-runner/shared/domain/transitions.ts';
import { applyTransition } from '@agent-runner/shared/jobs/apply-transition.ts';
import { createLogger } from '@agent-runner/shared/observability/logger.ts';
import { createWebhookMetrics } from '@agent-runner/shared/observability/webhook-metrics.ts';
import { Registry } from 'prom-client';
import { startWebhookDeliveryLoop } from '@agent-runner/dispatcher/webhook-delivery-loop.ts';
import { backendsUnderTest, openBackend, type OpenedBackend } from '../../support/backends.ts';
import { skipUnlessAws } from '../../support/aws-test-env.ts';
import { waitFor } from '../../support/wait-for.ts';

describe('webhook sweep on AWS', { skip: Boolean(skipUnlessAws()) }, () => {
  let opened: OpenedBackend;
  let clients: AwsClients;
  let server: Server;
  let url: string;
  let received = 0;

  beforeAll(async () => {
    opened = await openBackend(backendsUnderTest().find((b) => b.name === 'aws')!);
    clients = createAwsClients(opened.config.aws!.region, opened.config.aws!.endpoint);
    server = createServer((_req, res) => {
      received++;
      res.writeHead(200).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    server?.close();
    clients?.destroy();
    await opened?.close();
  });

  test('a PENDING delivery whose queue message was lost is delivered by the sweep', async () => {
    const aws = opened.config.aws!;
    const silent = new DynamoDbJobStore(clients.doc, aws.table, { table: aws.webhookDeliveriesTable });
    const now = new Date();
    const job = createJobRecord(
      ulid(now),
      {
        jobType: 'echo',
        payload: {},
        priority: 'normal',
        tenant: 'swept',
        orderingKey: null,
        maxAttempts: 1,
        timeoutSeconds: 60,
        webhooks: [{ url, events: ['job.cancelled'], endpointId: null }],
      },
      now,
      { payload: {}, payloadRef: null },
    );
    await silent.create(job);
    await applyTransition(
      silent,
      job.jobId,
      (j) => cancelJob(j, now),
      () => now,
    );

    const ahead = { now: () => new Date(Date.now() + 60_000) };
    const log = createLogger('test', 'warn');
    const loop = startWebhookDeliveryLoop(
      {
        deliveries: opened.backend.webhookDeliveries,
        jobs: opened.backend.jobs,
        secrets: opened.backend.webhookSecrets,
        endpoints: opened.backend.webhookEndpoints,
        rules: { allowHttp: true, allowPrivate: true },
        backoffBaseSeconds: 1,
        clock: ahead,
        random: Math.random,
        metrics: createWebhookMetrics(new Registry()),
        log,
      },
      { queue: opened.backend.webhookQueue, waitSeconds: 1, sweepIntervalMs: 500, log },
    );
    try {
      const delivered = await waitFor(
        'the sweep to deliver',
        async () => {
          const [d] = await opened.backend.webhookDeliveries.listBySubject('job', job.jobId);
          return d?.status === 'DELIVERED' ? d : undefined;
        },
        { timeoutMs: 20_000, intervalMs: 200 },
      );
      assert.equal(delivered.attempts.length, 1);
      assert.equal(received, 1);
    } finally {
      await loop.stop();
    }
  });
});
