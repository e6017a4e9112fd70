import type { Backend } from '@agent-runner/shared/compose/backend.ts';
import type { Config } from '@agent-runner/shared/config/config.ts';
import type { Clock } from '@agent-runner/shared/domain/ids.ts';
import { FatalError } from '@agent-runner/shared/domain/errors.ts';
import { scopesFor } from '@agent-runner/shared/domain/concurrency-scopes.ts';
import { messageFor, type Job, type JobError, type JsonValue } from '@agent-runner/shared/domain/job.ts';
import { backoffSeconds, DEFAULT_BACKOFF } from '@agent-runner/shared/domain/retry-policy.ts';
import type { AttemptSpend } from '@agent-runner/shared/domain/job-usage.ts';
import { addAttemptSpend, failAttempt, heartbeat, startAttempt, succeedAttempt } from '@agent-runner/shared/domain/transitions.ts';
import { applyTransition } from '@agent-runner/shared/jobs/apply-transition.ts';
import type { Logger } from '@agent-runner/shared/observability/logger.ts';
import { loadPayload } from '@agent-runner/shared/jobs/load-payload.ts';
import { classifyFailure, type AbortCause } from './classify-failure.ts';
import type { HandlerContext, HandlerEvent } from './handlers/job-handler.ts';
import { loadHandler } from './handlers/registry.ts';
import { storeResult } from './store-result.ts';
import { EventRecorder } from './event-recorder.ts';
import { lazyChildJobRunner } from './lazy-child-jobs.ts';
import { ulid } from '@agent-runner/shared/domain/ids.ts';
import { AttemptUsage, type PendingSpend } from './anthropic/attempt-usage.ts';
import { TenantDailyBudget } from './tenant-daily-budget.ts';
import { advancePipelineOf } from './advance-pipeline-step.ts';
import { ComputeMeter } from './compute-meter.ts';

export interface WorkerDeps {
  config: Config;
  backend: Backend;
  clock: Clock;
  log: Logger;
  /** Who runs this attempt, reported in results: task ARN or `<host>:<pid>`. */
  workerId: string;
  random: () => number;
  /** Aborted when the process is told to stop (SIGTERM): the handler is stopped and the worker exits. */
  stopSignal?: AbortSignal;
  /** When this worker's billed time began (its ECS task's image pull, or its process's start); default: now. */
  computeStartedAt?: Date;
  /** The least compute time billed (Fargate: a minute); default 0. */
  computeMinimumSeconds?: number;
  /**
   * Told when the attempt's handler is aborted (timeout, cancel, stop, superseded): it may still be
   * running code it was not able to stop. A pooled worker retires after such an attempt; a
   * one-shot worker exits anyway.
   */
  onAbort?: (cause: AbortCause) => void;
  /** The ECS task this worker runs in, recorded on the start when the worker ref does not name it (a pooled attempt's). */
  taskArn?: string | null;
}

export type WorkerOutcome =
  /** The handler's result is stored and the job is SUCCEEDED. */
  | 'succeeded'
  /** The attempt failed and the job went back to QUEUED for another attempt. */
  | 'requeued'
  /** The attempt failed and the job ended (FAILED / TIMED_OUT). */
  | 'failed'
  /** The job was not ours to run (another attempt's worker, cancelled, already done). */
  | 'not-started'
  /** The job was cancelled or taken over while running; its state is someone else's to write. */
  | 'abandoned'
  /** The process was told to stop mid-attempt; the reaper judges the attempt (lost, or timed out). */
  | 'stopped';

/**
 * One worker, one attempt: claim the start (DISPATCHED → RUNNING, only for this attempt), run the
 * handler under a deadline with a heartbeat, store the result, record the outcome. Every write is
 * conditional, so a duplicate worker or a late one changes nothing.
 *
 * The attempt's Claude usage reaches the record with each heartbeat (the calls since the last one)
 * and with the write that ends the attempt, whether it succeeded or failed. A worker that vanishes
 * (killed, OOM, lost host) leaves at most the calls of its last heartbeat interval off the record;
 * its `model_call` events, flushed as the calls complete, still carry every call's tokens and cost.
 */
export async function runJobAttempt(deps: WorkerDeps, jobId: string, attempt: number): Promise<WorkerOutcome> {
  const { backend, clock, config } = deps;
  const now = () => clock.now();
  const log = deps.log.child({ job_id: jobId, attempt });

  const started = await applyTransition(backend.jobs, jobId, (job) => startAttempt(job, attempt, now(), deps.taskArn), now);
  if (!started.applied) {
    log.warn({ status: started.job.status, current_attempt: started.job.attempt }, 'job is not waiting for this attempt; exiting');
    return 'not-started';
  }
  const job = started.job;
  /** The record as this worker last wrote it: its next write plans from it instead of reading first. */
  let latest: Job = job;
  log.info({ job_type: job.jobType }, 'attempt started');
  const recorder = new EventRecorder({
    log: backend.events,
    jobId,
    attempt,
    // Only this attempt's worker writes its events, and only one worker passes the start above, so
    // before attempt 1 there are none: the read is needed only after earlier attempts.
    lastSeq: attempt === 1 ? 0 : await backend.events.lastSeq(jobId),
    clock,
    flushMs: config.events.flushMs,
    onError: (error) => log.warn({ err: error }, 'could not record live events'),
  });
  recorder.emit({ type: 'attempt_started', data: { attempt } });

  const usage = new AttemptUsage();
  const compute = new ComputeMeter({
    startedAt: deps.computeStartedAt ?? now(),
    price: config.observability.computePrice,
    size: config.observability.workerSize,
    minimumSeconds: deps.computeMinimumSeconds ?? 0,
  });
  const tenantBudget = new TenantDailyBudget({
    tenant: job.tenant,
    settings: backend.tenants,
    spend: backend.tenantSpend,
    defaults: config.tenants.defaults,
    clock,
    log,
    attemptSpentUsd: () => usage.totalCostUsd(),
  });
  const abort = new AbortController();
  let abortCause: AbortCause | null = null;
  const abortWith = (cause: AbortCause) => {
    if (abortCause) return;
    abortCause = cause;
    abort.abort(new Error(`aborted: ${cause}`));
    deps.onAbort?.(cause);
  };

  const deadline = setTimeout(() => abortWith('timeout'), job.timeoutSeconds * 1000);
  // Told to stop: a cancellation reaches a worker this way too (the dispatcher stops cancelled
  // jobs' workers), so look whether that is why before choosing what to record.
  const onStop = () => {
    backend.jobs.get(jobId).then(
      (seen) => abortWith(seen?.status === 'CANCELLED' ? 'cancelled' : 'stopped'),
      () => abortWith('stopped'),
    );
  };
  if (deps.stopSignal?.aborted) onStop();
  else deps.stopSignal?.addEventListener('abort', onStop, { once: true });
  // Each heartbeat also adds the calls made since the last one to the record (and to the tenant's
  // day), and refreshes what the tenant's daily budget allows.
  let beating: Promise<void> | null = null;
  const beat = setInterval(() => {
    if (beating) return;
    const pending = usage.pending();
    beating = applyTransition(backend.jobs, jobId, (j) => heartbeat(j, attempt, now(), pending.spend), now, undefined, latest)
      .then(async ({ applied, job: seen }) => {
        latest = seen;
        if (applied) {
          usage.markRecorded(pending.upTo);
          await tenantBudget.record(costOf(pending.spend));
          await tenantBudget.refreshIfInUse();
        }
        // The job moved on without us (cancelled, or the reaper gave it to another attempt).
        else abortWith(seen.status === 'CANCELLED' ? 'cancelled' : 'superseded');
      })
      .catch((error: unknown) => log.warn({ err: error }, 'heartbeat failed'))
      .finally(() => {
        beating = null;
      });
  }, config.dispatch.heartbeatSeconds * 1000);
  /** Before the attempt's last write: a heartbeat still adding spend then would count it twice. */
  const unrecordedSpend = async (): Promise<PendingSpend> => {
    clearInterval(beat);
    await beating;
    const pending = usage.pending();
    // The worker's own compute rides on the attempt's last write (whichever path makes it).
    return { ...pending, spend: compute.addTo(pending.spend, now()) };
  };

  try {
    const result = await runHandler(deps, job, abort.signal, log, (event) => recorder.emit(event), usage, tenantBudget);
    const stored = await storeResult(backend.blobs, jobId, result, config.inlineLimitBytes);
    recorder.emit({ type: 'attempt_succeeded', data: { attempt } });
    await recorder.close();
    const { spend: spent, upTo } = await unrecordedSpend();
    const done = await applyTransition(
      backend.jobs,
      jobId,
      (j) => succeedAttempt(j, attempt, stored, now(), spent),
      now,
      undefined,
      latest,
    );
    if (!done.applied) {
      log.warn({ status: done.job.status }, 'finished, but the job was no longer ours; result discarded');
      await recordSpendOnly(deps, jobId, spent, log, tenantBudget);
      return 'abandoned';
    }
    // Should anything below throw, the failure path must not add this spend a second time.
    usage.markRecorded(upTo);
    await tenantBudget.record(costOf(spent));
    await backend.leases.release(jobId, heldScopes(job, config));
    log.info('attempt succeeded');
    await advancePipelineOf(deps, done.job, log);
    return 'succeeded';
  } catch (error) {
    const cause: AbortCause | null = abortCause;
    const { spend: spent } = await unrecordedSpend();
    if (cause === 'stopped') {
      // Not a verdict on the job: the reaper sees the worker gone and retries or times it out, by
      // the same rules as any lost worker. Only what it cost is written here.
      log.warn('attempt stopped by a signal before it finished');
      recorder.emit({ type: 'attempt_stopped', data: { attempt } });
      await recorder.close();
      await recordSpendOnly(deps, jobId, spent, log, tenantBudget);
      return 'stopped';
    }
    if (cause === 'cancelled' || cause === 'superseded') {
      log.info({ cause }, 'attempt aborted');
      // The job was ended (cancelled) or taken over by someone else's write; the money was still spent.
      await recordSpendOnly(deps, jobId, spent, log, tenantBudget);
      // A cancelled job's slots are free; a superseded attempt's belong to the attempt that took over.
      if (cause === 'cancelled') await backend.leases.release(jobId, heldScopes(job, config));
      return 'abandoned';
    }
    const failure = classifyFailure(error, job.jobType, cause);
    log.warn({ error_kind: failure.kind, error: failure.message }, 'attempt failed');
    recorder.emit({ type: 'attempt_failed', data: { attempt, kind: failure.kind, message: failure.message } });
    // Events go out before the outcome is written, so a reader that sees a terminal job has them all.
    await recorder.close();
    return await recordFailure(deps, jobId, attempt, failure, spent, log, tenantBudget, latest);
  } finally {
    clearTimeout(deadline);
    clearInterval(beat);
    deps.stopSignal?.removeEventListener('abort', onStop);
    await recorder.close();
  }
}

async function runHandler(
  deps: WorkerDeps,
  job: Job,
  signal: AbortSignal,
  log: Logger,
  emit: (event: HandlerEvent) => void,
  usage: AttemptUsage,
  tenantBudget: TenantDailyBudget,
): Promise<JsonValue> {
  const handler = await loadHandler(job.jobType);
  if (!handler) {
    throw new FatalError(`unknown job type "${job.jobType}"`);
  }
  const payload = await loadPayload(deps.backend.blobs, job);
  const ctx: HandlerContext = {
    jobId: job.jobId,
    attempt: job.attempt,
    jobType: job.jobType,
    workerId: deps.workerId,
    signal,
    log,
    secrets: deps.backend.secrets,
    config: deps.config,
    emit,
    now: () => deps.clock.now(),
    usage,
    tenantBudget,
    childJobs: lazyChildJobRunner({
      submit: {
        jobs: deps.backend.jobs,
        queue: deps.backend.queue,
        blobs: deps.backend.blobs,
        clock: deps.clock,
        newId: ulid,
        inlineLimitBytes: deps.config.inlineLimitBytes,
      },
      config: deps.config,
      parent: job,
    }),
  };
  // Abort wins the race even against a handler that ignores its signal.
  return await new Promise<JsonValue>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    handler.run(payload, ctx).then(resolve, reject);
  });
}

async function recordFailure(
  deps: WorkerDeps,
  jobId: string,
  attempt: number,
  failure: JobError,
  spent: AttemptSpend,
  log: Logger,
  tenantBudget: TenantDailyBudget,
  known: Job,
): Promise<WorkerOutcome> {
  const now = () => deps.clock.now();
  let requeued = false;
  const done = await applyTransition(
    deps.backend.jobs,
    jobId,
    (j) => {
      const outcome = failAttempt(j, attempt, failure, now(), spent);
      requeued = outcome?.requeued ?? false;
      return outcome?.transition ?? null;
    },
    now,
    undefined,
    known,
  );
  if (!done.applied) {
    await recordSpendOnly(deps, jobId, spent, log, tenantBudget);
    return 'abandoned';
  }
  await tenantBudget.record(costOf(spent));
  // Slots go back before the retry's message exists, so the retry cannot find them still held.
  await deps.backend.leases.release(jobId, heldScopes(known, deps.config));
  if (!requeued) {
    await advancePipelineOf(deps, done.job, log);
    return 'failed';
  }
  const delaySeconds = backoffSeconds(attempt, DEFAULT_BACKOFF, deps.random);
  try {
    await deps.backend.queue.enqueue(messageFor(done.job), { delaySeconds, deduplicationId: `${jobId}:${attempt + 1}` });
    log.info({ delay_seconds: delaySeconds }, 'requeued for another attempt');
  } catch (error) {
    // The job is QUEUED without a message; the dispatcher's sweeper re-enqueues it.
    log.error({ err: error }, 'requeue failed; leaving the job to the sweeper');
  }
  return 'requeued';
}

/**
 * Adds the attempt's spend to a record this attempt may no longer end. Best effort: the outcome
 * is someone else's, and the spend is in the `model_call` events if this write fails.
 */
async function recordSpendOnly(
  deps: WorkerDeps,
  jobId: string,
  spent: AttemptSpend,
  log: Logger,
  tenantBudget: TenantDailyBudget,
): Promise<void> {
  const now = () => deps.clock.now();
  try {
    const { applied } = await applyTransition(deps.backend.jobs, jobId, (j) => addAttemptSpend(j, spent), now);
    if (applied) await tenantBudget.record(costOf(spent));
  } catch (error) {
    log.warn({ err: error }, "could not add the attempt's Claude usage to the job record");
  }
}

/**
 * The slots the dispatcher took for this job: its scopes under the limits the launch carried (see
 * the dispatcher's workerSettings), so the release can skip reading them.
 */
function heldScopes(job: Job, config: Config): string[] {
  return scopesFor(job, config.dispatch).map((s) => s.key);
}

/** The USD of a spend not yet recorded (0 when it has no model calls). */
function costOf(spent: AttemptSpend): number {
  return spent.usage?.cost_usd ?? 0;
}
