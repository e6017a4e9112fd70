import { Router, type RouterContext } from '@koa/router';
import { NotFoundError } from '@agent-runner/shared/domain/errors.ts';
import type { ApiDeps } from '../api-deps.ts';
import { requireScope, visibleJob } from '../auth/access.ts';
import type { AuthState } from '../auth/caller.ts';
import type { WebhookDeliveryList, WebhookDeliveryView } from '../schemas/webhook-delivery.ts';
import { toWebhookDeliveryView } from '../views/webhook-delivery-view.ts';

/** Job ids are ULIDs; anything else cannot name a job, so it is not looked up. */
const JOB_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/**
 * A job's webhook deliveries: every attempt, and a resend on request. Seen by whoever may see the
 * job (GET /jobs/{id}'s rule): another tenant's job is a 404, as one that does not exist.
 */
export function webhookDeliveriesRouter(deps: Pick<ApiDeps, 'backend' | 'clock'>): Router<AuthState> {
  const { backend, clock } = deps;
  const router = new Router<AuthState>();

  router.get('/jobs/:id/deliveries', async (ctx) => {
    const caller = requireScope(ctx.state, 'read');
    const jobId = jobIdOf(ctx);
    visibleJob(caller, await backend.jobs.get(jobId), jobId);
    const deliveries = await backend.webhookDeliveries.listBySubject('job', jobId);
    ctx.body = { deliveries: deliveries.map(toWebhookDeliveryView) } satisfies WebhookDeliveryList;
  });

  // Resends now: PENDING and due at once (whatever it was); the attempts so far are kept.
  router.post('/jobs/:id/deliveries/:delivery_id/retry', async (ctx) => {
    const caller = requireScope(ctx.state, 'submit');
    const jobId = jobIdOf(ctx);
    visibleJob(caller, await backend.jobs.get(jobId), jobId);
    const deliveryId = ctx.params.delivery_id ?? '';
    const delivery = await backend.webhookDeliveries.get(deliveryId);
    if (delivery?.subjectKind !== 'job' || delivery.subjectId !== jobId) {
      throw new NotFoundError(`delivery ${deliveryId} of job ${jobId} not found`);
    }
    const retried = await backend.webhookDeliveries.retryNow(deliveryId, clock.now());
    ctx.status = 202;
    ctx.body = toWebhookDeliveryView(retried) satisfies WebhookDeliveryView;
  });

  return router;
}

function jobIdOf(ctx: RouterContext<AuthState>): string {
  const id = ctx.params.id ?? '';
  if (!JOB_ID.test(id)) throw new NotFoundError(`job ${id} not found`);
  return id;
}
