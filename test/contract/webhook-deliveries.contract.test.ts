import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { ConflictError } from '@agent-runner/shared/domain/errors.ts';
import { ulid } from '@agent-runner/shared/domain/ids.ts';
import { createJobRecord, type Job } from '@agent-runner/shared/domain/job.ts';
import { cancelJob } from '@agent-runner/shared/domain/transitions.ts';
import type { WebhookTarget } from '@agent-runner/shared/domain/webhook-target.ts';
import { applyTransition } from '@agent-runner/shared/jobs/apply-transition.ts';
import type { Backend } from '@agent-runner/shared/compose/backend.ts';
import { backendsUnderTest, openBackend, type OpenedBackend } from '../support/backends.ts';

const targets: WebhookTarget[] = [
  { url: 'https://hooks.example.com/all', events: ['job.succeeded', 'job.failed', 'job.timed_out', 'job.cancelled'], endpointId: null },
  { url: 'https://hooks.example.com/success-only', events: ['job.succeeded'], endpointId: 'ep_1' },
  { url: 'https://hooks.example.com/cancel', events: ['job.cancelled'], endpointId: 'ep_2' },
];

function newJob(webhooks: WebhookTarget[]): Job {
  const now = new Date();
  return createJobRecord(
    ulid(now),
    {
      jobType: 'echo',
      payload: {},
      priority: 'normal',
      tenant: `t-${randomUUID().slice(0, 8)}`,
      orderingKey: null,
      maxAttempts: 1,
      timeoutSeconds: 60,
      webhooks,
    },
    now,
    { payload: {}, payloadRef: null },
  );
}

async function rejectsWith(promise: Promise<unknown>, kind: new (...args: never[]) => Error): Promise<void> {
  await assert.rejects(promise, (error: unknown) => error instanceof kind);
}

for (const target of backendsUnderTest()) {
  describe(`webhook outbox contract (${target.name})`, () => {
    let opened: OpenedBackend;
    let backend: Backend;
    beforeAll(async () => {
      opened = await openBackend(target);
      backend = opened.backend;
    });
    afterAll(() => opened?.close());

    test('the write that ends a job records a delivery for each target that wants the event, and a refused write records none', async () => {
      const job = newJob(targets);
      await backend.jobs.create(job);
      const endedAt = new Date();
      // A stale write (wrong version) changes nothing: no job end, no outbox.
      const stale = cancelJob(job, endedAt)!;
      await rejectsWith(
        backend.jobs.update(job.jobId, { ...stale.expect, version: 99 }, stale.changes, endedAt, [
          {
            deliveryId: `msg_${job.jobId}_999`,
            subjectKind: 'job',
            subjectId: job.jobId,
            tenant: job.tenant,
            event: 'job.cancelled',
            url: 'https://x.example.com',
            endpointId: null,
            status: 'PENDING',
            createdAt: endedAt.toISOString(),
            version: 1,
            attempts: [],
            nextAttemptAt: endedAt.toISOString(),
            deliveredAt: null,
          },
        ]),
        ConflictError,
      );
      assert.deepEqual(await backend.webhookDeliveries.listBySubject('job', job.jobId), []);

      const { job: ended, applied } = await applyTransition(
        backend.jobs,
        job.jobId,
        (j) => cancelJob(j, endedAt),
        () => endedAt,
      );
      assert.ok(applied);
      assert.equal(ended.status, 'CANCELLED');
      const owed = await backend.webhookDeliveries.listBySubject('job', job.jobId);
      assert.deepEqual(
        owed.map((d) => [d.url, d.event, d.endpointId, d.status, d.attempts.length, d.nextAttemptAt]),
        [
          ['https://hooks.example.com/all', 'job.cancelled', null, 'PENDING', 0, endedAt.toISOString()],
          ['https://hooks.example.com/cancel', 'job.cancelled', 'ep_2', 'PENDING', 0, endedAt.toISOString()],
        ],
      );
      assert.deepEqual(await backend.webhookDeliveries.get(owed[0]!.deliveryId), owed[0]);
    });

    test('a job without webhooks ends as before, owing nothing', async () => {
      const job = newJob([]);
      await backend.jobs.create(job);
      await applyTransition(
        backend.jobs,
        job.jobId,
        (j) => cancelJob(j, new Date()),
        () => new Date(),
      );
      assert.deepEqual(await backend.webhookDeliveries.listBySubject('job', job.jobId), []);
    });

    test('a claim and an attempt are conditional on the version; due lists only PENDING deliveries due by then; retry makes one due', async () => {
      const job = newJob([targets[0]!]);
      await backend.jobs.create(job);
      const endedAt = new Date();
      await applyTransition(
        backend.jobs,
        job.jobId,
        (j) => cancelJob(j, endedAt),
        () => endedAt,
      );
      const [delivery] = await backend.webhookDeliveries.listBySubject('job', job.jobId);
      assert.ok(delivery);
      const later = new Date(endedAt.getTime() + 1000);
      assert.ok((await backend.webhookDeliveries.listDue(later, 100)).some((d) => d.deliveryId === delivery.deliveryId));

      const lease = new Date(endedAt.getTime() + 60_000);
      const claimed = await backend.webhookDeliveries.claim(delivery.deliveryId, delivery.version, lease);
      assert.equal(claimed.version, delivery.version + 1);
      assert.equal(claimed.nextAttemptAt, lease.toISOString());
      await rejectsWith(backend.webhookDeliveries.claim(delivery.deliveryId, delivery.version, lease), ConflictError);
      assert.ok(
        !(await backend.webhookDeliveries.listDue(later, 100)).some((d) => d.deliveryId === delivery.deliveryId),
        'a claimed delivery is not due',
      );

      const attempt = { number: 1, startedAt: later.toISOString(), endedAt: later.toISOString(), statusCode: 500, error: 'HTTP 500' };
      const failed = await backend.webhookDeliveries.recordAttempt(delivery.deliveryId, claimed.version, {
        attempt,
        status: 'FAILED',
        nextAttemptAt: null,
        deliveredAt: null,
      });
      assert.deepEqual(failed.attempts, [attempt]);
      await rejectsWith(
        backend.webhookDeliveries.recordAttempt(delivery.deliveryId, claimed.version, {
          attempt,
          status: 'DELIVERED',
          nextAttemptAt: null,
          deliveredAt: null,
        }),
        ConflictError,
      );
      assert.deepEqual(await backend.webhookDeliveries.get(delivery.deliveryId), failed);
      assert.ok(
        !(await backend.webhookDeliveries.listDue(new Date(Date.now() + 3600_000), 100)).some((d) => d.deliveryId === delivery.deliveryId),
      );

      const retried = await backend.webhookDeliveries.retryNow(delivery.deliveryId, later);
      assert.equal(retried.status, 'PENDING');
      assert.deepEqual(retried.attempts, [attempt], 'attempts are kept');
      assert.ok((await backend.webhookDeliveries.listDue(later, 100)).some((d) => d.deliveryId === delivery.deliveryId));
    });
  });

  describe(`webhook secrets contract (${target.name})`, () => {
    let opened: OpenedBackend;
    beforeAll(async () => {
      opened = await openBackend(target);
    });
    afterAll(() => opened?.close());

    test('a tenant gets one whsec_ secret on first use; a rotation signs with both until the overlap ends', async () => {
      const secrets = opened.backend.webhookSecrets;
      const tenant = `t-${randomUUID().slice(0, 8)}`;
      const t0 = new Date('2026-12-01T00:00:00.000Z');
      const [first, ...none] = await Promise.all([secrets.signingSecrets(tenant, t0), secrets.signingSecrets(tenant, t0)]);
      assert.equal(first?.length, 1);
      assert.deepEqual(none[0], first, 'racing first uses create one secret');
      const original = first![0]!;
      assert.match(original, /^whsec_[A-Za-z0-9+/]{43}=$/);
      assert.equal(Buffer.from(original.slice('whsec_'.length), 'base64').length, 32);
      assert.deepEqual(await secrets.signingSecrets('another-tenant-' + tenant, t0).then((s) => s.includes(original)), false);

      const t1 = new Date(t0.getTime() + 1000);
      const rotated = await secrets.rotate(tenant, t1, 3600);
      assert.notEqual(rotated, original);
      assert.deepEqual(
        await secrets.signingSecrets(tenant, new Date(t1.getTime() + 3599_000)),
        [rotated, original],
        'newest first, both during the overlap',
      );
      assert.deepEqual(await secrets.signingSecrets(tenant, new Date(t1.getTime() + 3600_000)), [rotated], 'only the new one after it');
    });
  });
}
