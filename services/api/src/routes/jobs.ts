import { Router, type RouterContext } from '@koa/router';
import { ConflictError, NotFoundError } from '@agent-runner/shared/domain/errors.ts';
import type { Job } from '@agent-runner/shared/domain/job.ts';
import { cancelJob } from '@agent-runner/shared/domain/transitions.ts';
import { applyTransition } from '@agent-runner/shared/jobs/apply-transition.ts';
import { loadResult } from '@agent-runner/shared/jobs/load-result.ts';
import { submitJob, type SubmitJobDeps } from '@agent-runner/shared/jobs/submit-job.ts';
import { submitJobOnce } from '@agent-runner/shared/jobs/submit-job-once.ts';
import type { ApiDeps } from '../api-deps.ts';
import { idempotencyKeyOf, requestHashOf } from '../http/idempotency-key.ts';
import { idempotencyTenantOf } from '../http/idempotency-tenant.ts';
import { readJsonBody } from '../http/read-json-body.ts';
import type { JobList } from '../schemas/job-view.ts';
import { parseListQuery } from '../validation/parse-list-query.ts';
import { parseSubmission } from '../validation/parse-submission.ts';
import { jobPath, toJobView } from '../views/job-view.ts';
import { streamJobEvents } from './job-events-stream.ts';

/** Job ids are ULIDs; anything else cannot name a job, so it is not looked up. */
const JOB_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** The jobs resource: validate, call the domain, answer. */
export function jobsRouter(deps: ApiDeps): Router {
  const { backend, clock, config } = deps;
  const now = () => clock.now();
  const router = new Router();

  router.post('/jobs', async (ctx) => {
    const body = await readJsonBody(ctx, config.maxPayloadBytes);
    const input = parseSubmission(body, config);
    const key = idempotencyKeyOf(ctx);
    const submitDeps: SubmitJobDeps = {
      jobs: backend.jobs,
      queue: backend.queue,
      blobs: backend.blobs,
      clock,
      newId: deps.newId,
      inlineLimitBytes: config.inlineLimitBytes,
    };
    const { job, replayed } =
      key === null
        ? { job: await submitJob(submitDeps, input), replayed: false }
        : await submitJobOnce(submitDeps, input, { tenant: idempotencyTenantOf(ctx, input), key, requestHash: requestHashOf(body) });
    if (replayed) {
      // The job the key's first request created, as it is now (IETF httpapi-idempotency-key-header).
      ctx.status = 200;
      ctx.set('Idempotent-Replayed', 'true');
    } else {
      deps.metrics?.jobSubmitted(job);
      ctx.status = 202;
    }
    ctx.set('Location', jobPath(job.jobId));
    ctx.body = toJobView(job);
  });

  router.get('/jobs', async (ctx) => {
    const page = await backend.jobs.list(parseListQuery(ctx.query));
    ctx.body = { jobs: page.jobs.map((job) => toJobView(job)), next_cursor: page.nextCursor } satisfies JobList;
  });

  router.get('/jobs/:id', async (ctx) => {
    const job = await findJob(ctx);
    ctx.body = toJobView(job, job.status === 'SUCCEEDED' ? await loadResult(backend.blobs, job) : undefined);
  });

  // Only the record changes here: stopping a running worker is the dispatcher's reaper's job.
  router.post('/jobs/:id/cancel', async (ctx) => {
    let wasQueued = false;
    const { job, applied } = await applyTransition(
      backend.jobs,
      jobIdOf(ctx),
      (found) => {
        wasQueued = found.status === 'QUEUED';
        return cancelJob(found, now());
      },
      now,
    );
    if (!applied) throw new ConflictError(`job ${job.jobId} is already ${job.status} and cannot be cancelled`);
    // A job cancelled while it waited has no worker for the dispatcher to see end: it is counted here.
    if (wasQueued) deps.metrics?.jobFinished({ jobType: job.jobType, priority: job.priority, outcome: 'CANCELLED', ranSeconds: null });
    ctx.status = 202;
    ctx.body = toJobView(job);
  });

  router.get('/jobs/:id/events', (ctx) => streamJobEvents(ctx, { jobs: backend.jobs, events: backend.events }, jobIdOf(ctx)));

  async function findJob(ctx: RouterContext): Promise<Job> {
    const job = await backend.jobs.get(jobIdOf(ctx));
    if (!job) throw new NotFoundError(`job ${ctx.params.id} not found`);
    return job;
  }

  return router;
}

function jobIdOf(ctx: RouterContext): string {
  const id = ctx.params.id ?? '';
  if (!JOB_ID.test(id)) throw new NotFoundError(`job ${id} not found`);
  return id;
}
