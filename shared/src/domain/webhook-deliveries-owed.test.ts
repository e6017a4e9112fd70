import assert from 'node:assert/strict';
import { test } from 'vitest';
import { deliveriesOwedByJobWrite, jobEndEvent } from './webhook-deliveries-owed.ts';
import type { WebhookTarget } from './webhook-target.ts';

const webhooks: WebhookTarget[] = [
  { url: 'https://a.example.com', events: ['job.succeeded', 'job.failed'], endpointId: null },
  { url: 'https://b.example.com', events: ['job.failed'], endpointId: 'ep_b' },
];
const job = { jobId: '01JOB', tenant: 'acme', status: 'RUNNING' as const, webhooks };
const at = new Date('2026-12-03T00:00:00.000Z');

test('each terminal status maps to its event; other statuses to none', () => {
  assert.equal(jobEndEvent('SUCCEEDED'), 'job.succeeded');
  assert.equal(jobEndEvent('FAILED'), 'job.failed');
  assert.equal(jobEndEvent('TIMED_OUT'), 'job.timed_out');
  assert.equal(jobEndEvent('CANCELLED'), 'job.cancelled');
  assert.equal(jobEndEvent('QUEUED'), null);
  assert.equal(jobEndEvent(undefined), null);
});

test('a job that ends owes one delivery per target wanting the event, due at once, with ids stable per target', () => {
  const failed = deliveriesOwedByJobWrite(job, 'FAILED', at);
  assert.deepEqual(
    failed.map((d) => [d.deliveryId, d.url, d.endpointId, d.event, d.status, d.nextAttemptAt, d.tenant, d.subjectKind]),
    [
      ['msg_01JOB_001', 'https://a.example.com', null, 'job.failed', 'PENDING', at.toISOString(), 'acme', 'job'],
      ['msg_01JOB_002', 'https://b.example.com', 'ep_b', 'job.failed', 'PENDING', at.toISOString(), 'acme', 'job'],
    ],
  );
  assert.deepEqual(
    deliveriesOwedByJobWrite(job, 'SUCCEEDED', at).map((d) => d.deliveryId),
    ['msg_01JOB_001'],
  );
  assert.deepEqual(deliveriesOwedByJobWrite(job, 'CANCELLED', at), [], 'no target wants job.cancelled');
});

test('writes that do not end the job owe nothing', () => {
  assert.deepEqual(deliveriesOwedByJobWrite(job, undefined, at), []);
  assert.deepEqual(deliveriesOwedByJobWrite(job, 'RUNNING', at), []);
  assert.deepEqual(deliveriesOwedByJobWrite({ ...job, status: 'DISPATCHED' }, 'QUEUED', at), []);
  assert.deepEqual(deliveriesOwedByJobWrite({ ...job, webhooks: [] }, 'FAILED', at), []);
});
