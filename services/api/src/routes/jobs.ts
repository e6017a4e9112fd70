import { Router, type RouterContext } from '@koa/router';
import { ConflictError, NotFoundError } from '@agent-runner/shared/domain/errors.ts';
import { cancelJob } from '@agent-runner/shared/domain/transitions.ts';
import { applyTransition } from '@agent-runner/shared/jobs/apply-transition.ts';
import { loadResult } from '@agent-runner/shared/jobs/load-result.ts';
import { submitJob, type SubmitJobDeps } from '@agent-runner/shared/jobs/submit-job.ts';
import { submitJobOnce } from '@agent-runner/shared/jobs/submit-job-once.ts';
import type { ApiDeps } from '../api-deps.ts';
import { listingTenant, requireScope, submissionTenant, visibleJob } from '../auth/access.ts';
import type { ApiKeyVerifier } from '../auth/api-key-verifier.ts';
import type { AuthState } from '../auth/caller.ts';
import { eventStreamCaller, issueStreamToken } from '../auth/event-stream-access.ts';
import { idempotencyKeyOf, requestHashOf } from '../http/idempotency-key.ts';
import { idempotencyTenantOf } from '../http/idempotency-tenant.ts';
import { readJsonBody } from '../http/read-json-body.ts';
import type { JobList } from '../schemas/job-view.ts';
import { parseListQuery } from '../validation/parse-list-query.ts';
import { parseSubmission } from '../validation/parse-submission.ts';
import { checkWebhookDestination } from '@agent-runner/shared/webhooks/webhook-destination.ts';
import { jobWebhookTargets } from '@agent-runner/shared/webhooks/job-webhook-targets.ts';
import { jobPath, toJobView } from '../views/job-view.ts';
import { streamJobEvents } from './job-events-stream.ts';
import { submitJobWithThen, type ThenRequest } from './submit-job-with-then.ts';
import { pipelineDepsOf } from './pipelines.ts';
import { advanceIfStepEnded } from '@agent-runner/shared/pipelines/step-ended.ts';

/** Job ids are ULIDs; anything else cannot name a job, so it is not looked up. */
const JOB_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** The jobs resource: validate, call the domain, answer. */
export function jobsRouter(
  deps: ApiDeps & Required<Pick<ApiDeps, 'quotas' | 'tenantEndpoints'>>,
  verifier: ApiKeyVerifier,
): Router<AuthState> {
  const { backend, clock, config } = deps;
  const now = () => clock.now();
  const router = new Router<AuthState>();

  router.post('/jobs', async (ctx) => {
    const caller = requireScope(ctx.state, 'submit');
    const body = await readJsonBody(ctx, config.maxPayloadBytes);
    const { webhook, ...parsed } = parseSubmission(body, config);
    // parseSubmission checked `tenant` is a string when present.
    const requested = (body as { tenant?: string }).tenant;
    const tenant = submissionTenant(caller, requested, config.defaults.tenant);
    const key = idempotencyKeyOf(ctx);
    if (webhook)
      await checkWebhookDestination(
        webhook.url,
        { ...config.webhooks, ...(deps.resolveHost && { resolve: deps.resolveHost }) },
        'webhook.url',
      );
    // Read before the quotas count the submission, so a store that fails (503) costs no rate token.
    const webhooks = jobWebhookTargets(webhook, await deps.tenantEndpoints.list(tenant));
    // The quotas of the tenant the job will belong to: refused, a 429 and nothing recorded.
    const quotaHeaders = await deps.quotas.admit(tenant);
    const input = { ...parsed, tenant, keyId: caller.keyId, webhooks };
    const then = (body as ThenRequest).then;
    const idempotency = key === null ? null : { tenant: idempotencyTenantOf(ctx, input), key, requestHash: requestHashOf(body) };
    if (then !== undefined) {
      const { job: first, replayed } = await submitJobWithThen(deps, body as ThenRequest, input, idempotency);
      ctx.set(quotaHeaders);
      answerSubmission(ctx, replayed);
      ctx.set('Location', jobPath(first.jobId));
      ctx.body = toJobView(first);
      return;
    }
    const submitDeps: SubmitJobDeps = {
      jobs: backend.jobs,
      queue: backend.queue,
      blobs: backend.blobs,
      clock,
      newId: deps.newId,
      inlineLimitBytes: config.inlineLimitBytes,
    };
    const { job, replayed } =
      idempotency === null
        ? { job: await submitJob(submitDeps, input), replayed: false }
        : await submitJobOnce(submitDeps, input, idempotency);
    ctx.set(quotaHeaders);
    answerSubmission(ctx, replayed);
    if (!replayed) {
      deps.metrics?.jobSubmitted(job);
      deps.quotas.noteQueued(job.tenant);
    }
    ctx.set('Location', jobPath(job.jobId));
    ctx.body = toJobView(job);
  });

  router.get('/jobs', async (ctx) => {
    const caller = requireScope(ctx.state, 'read');
    const { tenant: requested, ...query } = parseListQuery(ctx.query);
    const tenant = listingTenant(caller, requested);
    const page = await backend.jobs.list({ ...query, ...(tenant !== undefined && { tenant }) });
    ctx.body = { jobs: page.jobs.map((job) => toJobView(job)), next_cursor: page.nextCursor } satisfies JobList;
  });

  router.get('/jobs/:id', async (ctx) => {
    const caller = requireScope(ctx.state, 'read');
    const jobId = jobIdOf(ctx);
    const job = visibleJob(caller, await backend.jobs.get(jobId), jobId);
    ctx.body = toJobView(job, job.status === 'SUCCEEDED' ? await loadResult(backend.blobs, job) : undefined);
  });

  // Only the record changes here: stopping a running worker is the dispatcher's reaper's job.
  router.post('/jobs/:id/cancel', async (ctx) => {
    const caller = requireScope(ctx.state, 'cancel');
    let wasQueued = false;
    const { job, applied } = await applyTransition(
      backend.jobs,
      jobIdOf(ctx),
      (found) => {
        visibleJob(caller, found, found.jobId);
        wasQueued = found.status === 'QUEUED';
        return cancelJob(found, now());
      },
      now,
    );
    if (!applied) throw new ConflictError(`job ${job.jobId} is already ${job.status} and cannot be cancelled`);
    // A job cancelled while it waited has no worker for the dispatcher to see end: it is counted here.
    if (wasQueued) deps.metrics?.jobFinished({ jobType: job.jobType, priority: job.priority, outcome: 'CANCELLED', ranSeconds: null });
    // A cancelled step skips the steps that need it (or lets those that continue on failure run).
    await advanceIfStepEnded(pipelineDepsOf(deps), job, deps.log);
    ctx.status = 202;
    ctx.body = toJobView(job);
  });

  router.get('/jobs/:id/events', async (ctx) => {
    const jobId = jobIdOf(ctx);
    const caller = await eventStreamCaller(
      ctx.state,
      ctx.query.stream_token,
      { resource: 'job', id: jobId },
      { mode: config.auth.mode, verifier, now },
    );
    await streamJobEvents(ctx, { jobs: backend.jobs, events: backend.events, visible: (job) => visibleJob(caller, job, jobId) }, jobId);
  });

  router.post('/jobs/:id/stream-token', async (ctx) => {
    const caller = requireScope(ctx.state, 'read');
    const jobId = jobIdOf(ctx);
    visibleJob(caller, await backend.jobs.get(jobId), jobId);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await issueStreamToken(caller, { resource: 'job', id: jobId }, { mode: config.auth.mode, verifier, now });
  });

  return router;
}

/** 202 for what this request created; 200 and Idempotent-Replayed for what its key's first request did, as it is now (IETF httpapi-idempotency-key-header). */
function answerSubmission(ctx: RouterContext<AuthState>, replayed: boolean): void {
  ctx.status = replayed ? 200 : 202;
  if (replayed) ctx.set('Idempotent-Replayed', 'true');
}

function jobIdOf(ctx: RouterContext<AuthState>): string {
  const id = ctx.params.id ?? '';
  if (!JOB_ID.test(id)) throw new NotFoundError(`job ${id} not found`);
  return id;
}
