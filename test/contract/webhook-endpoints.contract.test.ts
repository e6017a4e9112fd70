import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { ConflictError, NotFoundError } from '@agent-runner/shared/domain/errors.ts';
import type { WebhookEndpoint, WebhookEndpointStore } from '@agent-runner/shared/ports/webhook-endpoints.ts';
import { newWebhookEndpoint } from '@agent-runner/shared/webhooks/webhook-endpoint-record.ts';
import { backendsUnderTest, openBackend, type OpenedBackend } from '../support/backends.ts';

const at = (second: number) => new Date(Date.UTC(2026, 11, 3, 0, 0, second));

for (const target of backendsUnderTest()) {
  describe(`WebhookEndpointStore contract (${target.name})`, () => {
    let opened: OpenedBackend;
    let endpoints: WebhookEndpointStore;
    beforeAll(async () => {
      opened = await openBackend(target);
      endpoints = opened.backend.webhookEndpoints;
    });
    afterAll(() => opened?.close());

    const tenant = () => `t-${randomUUID()}`;

    test('an added endpoint reads back exactly, by id and in its tenant’s list', async () => {
      const endpoint = newWebhookEndpoint(tenant(), 'https://hooks.example.com/in?x=1', ['job.failed', 'job.timed_out'], at(1));
      await endpoints.add(endpoint);
      assert.deepEqual(await endpoints.get(endpoint.endpointId), endpoint);
      assert.deepEqual(await endpoints.list(endpoint.tenant), [endpoint]);
      assert.equal(await endpoints.get('we_0000000000000000'), null);
    });

    test("list returns only the tenant's endpoints, oldest first, disabled ones included", async () => {
      const t = tenant();
      const second = newWebhookEndpoint(t, 'https://b.example.com/', undefined, at(2));
      const first = newWebhookEndpoint(t, 'https://a.example.com/', undefined, at(1));
      const elsewhere = newWebhookEndpoint(tenant(), 'https://c.example.com/', undefined, at(0));
      for (const e of [second, first, elsewhere]) await endpoints.add(e);
      await endpoints.disable(second.endpointId, 'receiver answered 410 Gone', at(5));
      const listed = await endpoints.list(t);
      assert.deepEqual(
        listed.map((e) => [e.endpointId, e.disabledAt]),
        [
          [first.endpointId, null],
          [second.endpointId, at(5).toISOString()],
        ],
      );
      assert.deepEqual(await endpoints.list(tenant()), []);
    });

    test('adding an id twice is a conflict and keeps the first, even under another tenant', async () => {
      const endpoint = newWebhookEndpoint(tenant(), 'https://a.example.com/', undefined, at(1));
      await endpoints.add(endpoint);
      await assert.rejects(endpoints.add({ ...endpoint, url: 'https://other.example.com/' }), ConflictError);
      await assert.rejects(endpoints.add({ ...endpoint, tenant: tenant() }), ConflictError);
      assert.equal((await endpoints.get(endpoint.endpointId))?.url, endpoint.url);
    });

    test('disable is idempotent: the first time and reason stand; an unknown id changes nothing', async () => {
      const endpoint = newWebhookEndpoint(tenant(), 'https://a.example.com/', undefined, at(1));
      await endpoints.add(endpoint);
      await endpoints.disable(endpoint.endpointId, 'receiver answered 410 Gone', at(10));
      await endpoints.disable(endpoint.endpointId, 'operator', at(20));
      const found = (await endpoints.get(endpoint.endpointId)) as WebhookEndpoint;
      assert.equal(found.disabledAt, at(10).toISOString());
      assert.equal(found.disabledReason, 'receiver answered 410 Gone');
      await endpoints.disable('we_ffffffffffffffff', 'nothing', at(30));
      assert.equal(await endpoints.get('we_ffffffffffffffff'), null);
    });

    test("remove deletes the tenant's endpoint; another tenant's or an unknown one is not found and stays", async () => {
      const endpoint = newWebhookEndpoint(tenant(), 'https://a.example.com/', undefined, at(1));
      await endpoints.add(endpoint);
      await assert.rejects(endpoints.remove(tenant(), endpoint.endpointId), NotFoundError);
      assert.notEqual(await endpoints.get(endpoint.endpointId), null);
      await endpoints.remove(endpoint.tenant, endpoint.endpointId);
      assert.equal(await endpoints.get(endpoint.endpointId), null);
      assert.deepEqual(await endpoints.list(endpoint.tenant), []);
      await assert.rejects(endpoints.remove(endpoint.tenant, endpoint.endpointId), NotFoundError);
    });
  });
}
