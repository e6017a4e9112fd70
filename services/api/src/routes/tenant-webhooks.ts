import { Router, type RouterContext } from '@koa/router';
import { NotFoundError, ValidationError } from '@agent-runner/shared/domain/errors.ts';
import { fieldErrors, REQUIRED_WHEN_MISSING, summarize } from '@agent-runner/shared/validation/field-errors.ts';
import { checkWebhookDestination } from '@agent-runner/shared/webhooks/webhook-destination.ts';
import { newWebhookEndpoint, WEBHOOK_ENDPOINT_ID } from '@agent-runner/shared/webhooks/webhook-endpoint-record.ts';
import type { ApiDeps } from '../api-deps.ts';
import { requireScope } from '../auth/access.ts';
import type { AuthState } from '../auth/caller.ts';
import { readJsonBody } from '../http/read-json-body.ts';
import { AddWebhookEndpointRequestSchema, type WebhookEndpointView } from '../schemas/job-webhook.ts';
import { TENANT_NAME } from '../schemas/submit-job-request.ts';
import { toWebhookEndpointView } from '../views/job-webhook-view.ts';

/**
 * A tenant's default webhook endpoints, for operators: admin keys only (with auth off, anyone, as
 * for every route). The same store and checks as `agent-runner webhooks add/list/remove`.
 */
export function tenantWebhooksRouter(
  deps: Pick<ApiDeps, 'backend' | 'clock' | 'config' | 'resolveHost'> & Required<Pick<ApiDeps, 'tenantEndpoints'>>,
): Router<AuthState> {
  const { backend, clock, config } = deps;
  const router = new Router<AuthState>();

  router.get('/tenants/:tenant/webhooks', async (ctx) => {
    requireScope(ctx.state, 'admin');
    const endpoints = await backend.webhookEndpoints.list(tenantOf(ctx));
    ctx.body = { endpoints: endpoints.map(toWebhookEndpointView) } satisfies { endpoints: WebhookEndpointView[] };
  });

  router.post('/tenants/:tenant/webhooks', async (ctx) => {
    requireScope(ctx.state, 'admin');
    const tenant = tenantOf(ctx);
    const parsed = AddWebhookEndpointRequestSchema.safeParse(await readJsonBody(ctx, config.maxPayloadBytes), REQUIRED_WHEN_MISSING);
    if (!parsed.success) {
      const errors = fieldErrors(parsed.error.issues);
      throw new ValidationError(`the request body is not a valid webhook endpoint: ${summarize(errors)}`, {
        problem: 'invalid-request',
        errors,
      });
    }
    const { url, events } = parsed.data;
    await checkWebhookDestination(url, { ...config.webhooks, ...(deps.resolveHost && { resolve: deps.resolveHost }) }, 'url');
    const endpoint = newWebhookEndpoint(tenant, url, events, clock.now());
    await backend.webhookEndpoints.add(endpoint);
    deps.tenantEndpoints.changed(tenant);
    ctx.status = 201;
    ctx.set('Location', `/tenants/${encodeURIComponent(tenant)}/webhooks/${endpoint.endpointId}`);
    ctx.body = toWebhookEndpointView(endpoint);
  });

  router.delete('/tenants/:tenant/webhooks/:id', async (ctx) => {
    requireScope(ctx.state, 'admin');
    const tenant = tenantOf(ctx);
    const id = ctx.params.id ?? '';
    if (!WEBHOOK_ENDPOINT_ID.test(id)) throw new NotFoundError(`tenant ${tenant} has no webhook endpoint ${id}`);
    await backend.webhookEndpoints.remove(tenant, id);
    deps.tenantEndpoints.changed(tenant);
    ctx.status = 204;
  });

  return router;
}

function tenantOf(ctx: RouterContext<AuthState>): string {
  const tenant = ctx.params.tenant ?? '';
  if (!TENANT_NAME.test(tenant)) {
    const message = '1 to 128 printable ASCII characters, no spaces';
    throw new ValidationError(`tenant: ${message}`, { problem: 'invalid-request', errors: [{ path: 'tenant', message }] });
  }
  return tenant;
}
