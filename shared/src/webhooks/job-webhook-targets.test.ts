import assert from 'node:assert/strict';
import { test } from 'vitest';
import { JOB_WEBHOOK_EVENTS } from '../domain/webhook-target.ts';
import type { WebhookEndpoint } from '../ports/webhook-endpoints.ts';
import { jobWebhookTargets } from './job-webhook-targets.ts';

function endpoint(overrides: Partial<WebhookEndpoint>): WebhookEndpoint {
  return {
    endpointId: 'we_1',
    tenant: 'acme',
    url: 'https://hooks.acme.example/all',
    events: [...JOB_WEBHOOK_EVENTS],
    createdAt: '2026-12-03T00:00:00.000Z',
    disabledAt: null,
    disabledReason: null,
    ...overrides,
  };
}

test('no webhook and no endpoints: no targets', () => {
  assert.deepEqual(jobWebhookTargets(null, []), []);
});

test("the job's own webhook defaults to every terminal job event", () => {
  assert.deepEqual(jobWebhookTargets({ url: 'https://a.example/' }, []), [
    { url: 'https://a.example/', events: [...JOB_WEBHOOK_EVENTS], endpointId: null },
  ]);
});

test("the job's own events are kept in catalogue order, each once", () => {
  const [target] = jobWebhookTargets({ url: 'https://a.example/', events: ['job.failed', 'job.succeeded', 'job.failed'] }, []);
  assert.deepEqual(target?.events, ['job.succeeded', 'job.failed']);
});

test("the tenant's enabled endpoints follow the job's own, with only the job events they want", () => {
  const targets = jobWebhookTargets({ url: 'https://own.example/' }, [
    endpoint({ endpointId: 'we_all' }),
    endpoint({ endpointId: 'we_off', disabledAt: '2026-12-03T01:00:00.000Z', disabledReason: '410 Gone' }),
    endpoint({ endpointId: 'we_pipe', url: 'https://p.example/', events: ['pipeline.failed'] }),
    endpoint({ endpointId: 'we_fail', url: 'https://f.example/', events: ['pipeline.failed', 'job.timed_out', 'job.failed'] }),
  ]);
  assert.deepEqual(targets, [
    { url: 'https://own.example/', events: [...JOB_WEBHOOK_EVENTS], endpointId: null },
    { url: 'https://hooks.acme.example/all', events: [...JOB_WEBHOOK_EVENTS], endpointId: 'we_all' },
    { url: 'https://f.example/', events: ['job.failed', 'job.timed_out'], endpointId: 'we_fail' },
  ]);
});
