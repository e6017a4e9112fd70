import { Router, type RouterContext } from '@koa/router';
import { ConflictError, NotFoundError } from '@agent-runner/shared/domain/errors.ts';
import { pipelinePath, type Pipeline } from '@agent-runner/shared/domain/pipeline.ts';
import { readStepJobs } from '@agent-runner/shared/pipelines/advance-pipeline.ts';
import { cancelPipeline } from '@agent-runner/shared/pipelines/cancel-pipeline.ts';
import type { RecordPipelineDeps } from '@agent-runner/shared/pipelines/pipeline-deps.ts';
import { recordPipeline } from '@agent-runner/shared/pipelines/record-pipeline.ts';
import { recordPipelineOnce } from '@agent-runner/shared/pipelines/record-pipeline-once.ts';
import type { ApiDeps } from '../api-deps.ts';
import { canSee, requireScope, submissionTenant } from '../auth/access.ts';
import type { ApiKeyVerifier } from '../auth/api-key-verifier.ts';
import type { AuthState, Caller } from '../auth/caller.ts';
import { eventStreamCaller, issueStreamToken } from '../auth/event-stream-access.ts';
import { idempotencyKeyOf, requestHashOf } from '../http/idempotency-key.ts';
import { idempotencyTenantOf } from '../http/idempotency-tenant.ts';
import { readJsonBody } from '../http/read-json-body.ts';
import { jobWebhookTargets, pipelineWebhookTargets } from '@agent-runner/shared/webhooks/job-webhook-targets.ts';
import { checkWebhookDestination } from '@agent-runner/shared/webhooks/webhook-destination.ts';
import { parsePipeline } from '../validation/parse-pipeline.ts';
import { toPipelineView } from '../views/pipeline-view.ts';
import { streamPipelineEvents } from './pipeline-events-stream.ts';

/** Pipeline ids are ULIDs, like job ids. */
const PIPELINE_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export function pipelineDepsOf(deps: ApiDeps): RecordPipelineDeps {
  const { backend } = deps;
  return {
    jobs: backend.jobs,
    pipelines: backend.pipelines,
    queue: backend.queue,
    blobs: backend.blobs,
    clock: deps.clock,
    config: deps.config,
    newId: deps.newId,
  };
}

/** The pipelines resource: job chains whose steps are ordinary jobs of the caller's tenant. */
export function pipelinesRouter(
  deps: ApiDeps & Required<Pick<ApiDeps, 'quotas' | 'tenantEndpoints'>>,
  verifier: ApiKeyVerifier,
): Router<AuthState> {
  const { backend, config } = deps;
  const streamAccess = { mode: config.auth.mode, verifier, now: () => deps.clock.now() };
  const pipelineDeps = pipelineDepsOf(deps);
  const router = new Router<AuthState>();

  router.post('/pipelines', async (ctx) => {
    const caller = requireScope(ctx.state, 'submit');
    const body = await readJsonBody(ctx, config.maxPayloadBytes);
    const key = idempotencyKeyOf(ctx);
    const parsed = parsePipeline(body, config);
    const tenant = submissionTenant(caller, parsed.tenant, config.defaults.tenant);
    // Its host resolved now, as a job's webhook's is: a private address is refused at submit time.
    for (const target of parsed.webhooks)
      await checkWebhookDestination(
        target.url,
        { ...config.webhooks, ...(deps.resolveHost && { resolve: deps.resolveHost }) },
        'webhook.url',
      );
    // The tenant's quotas admit the pipeline as one submission; its steps are queued as they become ready.
    const quotaHeaders = await deps.quotas.admit(tenant);
    const endpoints = await deps.tenantEndpoints.list(tenant);
    const input = {
      tenant,
      keyId: caller.keyId,
      steps: parsed.steps,
      webhooks: pipelineWebhookTargets(parsed.webhooks, endpoints),
      stepWebhooks: jobWebhookTargets(null, endpoints),
    };
    const { pipeline, replayed } =
      key === null
        ? { pipeline: await recordPipeline(pipelineDeps, input), replayed: false }
        : await recordPipelineOnce(pipelineDeps, input, {
            tenant: idempotencyTenantOf(ctx, input),
            key,
            // Keys are one space per tenant, shared with POST /jobs (a key names one request, as
            // Stripe's do): the route in the hash makes a key reused across the two a 422, never a replay.
            requestHash: requestHashOf({ 'POST /pipelines': body }),
          });
    ctx.set(quotaHeaders);
    // A replay answers as POST /jobs does: 200, the pipeline the key's first request recorded, as it is now.
    ctx.status = replayed ? 200 : 202;
    if (replayed) ctx.set('Idempotent-Replayed', 'true');
    ctx.set('Location', pipelinePath(pipeline.pipelineId));
    ctx.body = toPipelineView(pipeline, await readStepJobs(backend, pipeline));
  });

  router.get('/pipelines/:id', async (ctx) => {
    const caller = requireScope(ctx.state, 'read');
    const pipeline = visiblePipeline(caller, await backend.pipelines.get(pipelineIdOf(ctx)), pipelineIdOf(ctx));
    ctx.body = toPipelineView(pipeline, await readStepJobs(backend, pipeline));
  });

  router.post('/pipelines/:id/cancel', async (ctx) => {
    const caller = requireScope(ctx.state, 'cancel');
    const found = visiblePipeline(caller, await backend.pipelines.get(pipelineIdOf(ctx)), pipelineIdOf(ctx));
    const cancelled = await cancelPipeline(pipelineDeps, found);
    if (!cancelled) throw new ConflictError(`pipeline ${found.pipelineId} already ended and cannot be cancelled`);
    ctx.status = 202;
    ctx.body = toPipelineView(cancelled, await readStepJobs(backend, cancelled));
  });

  router.get('/pipelines/:id/events', async (ctx) => {
    const pipelineId = pipelineIdOf(ctx);
    // As GET /jobs/{id}/events: a key with `read`, or a stream token for this pipeline (EventSource).
    const caller = await eventStreamCaller(ctx.state, ctx.query.stream_token, { resource: 'pipeline', id: pipelineId }, streamAccess);
    const pipeline = visiblePipeline(caller, await backend.pipelines.get(pipelineId), pipelineId);
    streamPipelineEvents(ctx, backend, pipeline);
  });

  router.post('/pipelines/:id/stream-token', async (ctx) => {
    const caller = requireScope(ctx.state, 'read');
    const pipelineId = pipelineIdOf(ctx);
    visiblePipeline(caller, await backend.pipelines.get(pipelineId), pipelineId);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await issueStreamToken(caller, { resource: 'pipeline', id: pipelineId }, streamAccess);
  });

  return router;
}

/** Another tenant's pipeline is answered exactly as an absent one. */
function visiblePipeline(caller: Caller, pipeline: Pipeline | null, pipelineId: string): Pipeline {
  if (!pipeline || !canSee(caller, pipeline)) throw new NotFoundError(`pipeline ${pipelineId} not found`);
  return pipeline;
}

function pipelineIdOf(ctx: RouterContext<AuthState>): string {
  const id = ctx.params.id ?? '';
  if (!PIPELINE_ID.test(id)) throw new NotFoundError(`pipeline ${id} not found`);
  return id;
}
