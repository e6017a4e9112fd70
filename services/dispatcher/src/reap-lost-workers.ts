import { currentAttempt, type Job, type JobError } from '@agent-runner/shared/domain/job.ts';
import { failAttempt } from '@agent-runner/shared/domain/transitions.ts';
import { applyTransition } from '@agent-runner/shared/jobs/apply-transition.ts';
import type { DispatcherDeps } from './dispatcher-deps.ts';
import type { WorkerState } from '@agent-runner/shared/ports/worker-launcher.ts';
import { listActiveJobs } from './list-active-jobs.ts';
import { requeueWithBackoff } from './requeue-job.ts';

/** Heartbeats missed before a running worker counts as lost. */
const MISSED_HEARTBEATS = 3;
/** Grace after a job's deadline for its own worker to record TIMED_OUT before the reaper does. */
const DEADLINE_GRACE_SECONDS = 5;

export interface ReapReport {
  lost: number;
  timedOut: number;
  /** Every job found DISPATCHED or RUNNING, as listed (for the running gauge, outcome metrics and the cancelled-worker stopper). */
  active: Job[];
}

/**
 * Finds launched jobs whose worker is gone (process exited, task STOPPED, heartbeat silent) or
 * overdue, and fails the attempt: lost workers are retried per the retry rules, overdue ones end
 * TIMED_OUT after their worker is stopped. Each decision is re-checked against a fresh read inside
 * a conditional write, so a worker that finishes at the same moment wins.
 */
export async function reapLostWorkers(deps: DispatcherDeps): Promise<ReapReport> {
  const report: ReapReport = { lost: 0, timedOut: 0, active: [] };
  report.active.push(...(await listActiveJobs(deps.jobs, deps.log)));
  // Every worker in one ask (ECS: one DescribeTasks per 100), not one call per job.
  const refs = report.active.map((job) => currentAttempt(job)?.workerRef).filter((ref): ref is string => typeof ref === 'string');
  const states = refs.length > 0 ? await deps.launcher.inspectAll(refs) : new Map<string, WorkerState>();
  for (const job of report.active) {
    const verdict = await judgeWorker(deps, job, states);
    if (!verdict) continue;
    if (verdict.kind === 'timeout') report.timedOut += (await failAndMaybeRequeue(deps, job, verdict)) ? 1 : 0;
    else report.lost += (await failAndMaybeRequeue(deps, job, verdict)) ? 1 : 0;
  }
  return report;
}

/**
 * A worker's state was read at the start of the round; a verdict on it is written only if the job
 * is still where it was seen (failAndMaybeRequeue), so a worker that finished meanwhile wins.
 *
 * A RUNNING attempt with no worker ref started before its dispatcher recorded the launch; if that
 * dispatcher died, the launch is never recorded. There is no ref to ask about or stop, so its
 * heartbeat (and deadline) alone decide: silent for 3 heartbeats, it is lost; a worker that keeps
 * heartbeating is left alone, however late its launch record.
 *
 * A pooled attempt handed to a pool queue (the launcher reports it `waiting`) is judged by how long
 * it has waited since its launch, against AGENT_RUNNER_POOL_START_TIMEOUT_SECONDS: a pool scaled to
 * zero takes minutes to start a task, and the job must not be reaped for that.
 */
async function judgeWorker(deps: DispatcherDeps, job: Job, states: ReadonlyMap<string, WorkerState>): Promise<JobError | null> {
  const attempt = currentAttempt(job);
  if (!attempt) return null;
  const ref = attempt.workerRef;
  if (!ref && job.status !== 'RUNNING') return null; // not launched yet: its message is still in flight
  const worker = ref ? `worker ${ref}` : `the worker of attempt ${attempt.number} (launch never recorded)`;
  const now = deps.clock.now().getTime();
  const { heartbeatSeconds } = deps.config.dispatch;

  if (job.status === 'RUNNING' && attempt.startedAt) {
    const overdueAt = Date.parse(attempt.startedAt) + (job.timeoutSeconds + DEADLINE_GRACE_SECONDS) * 1000;
    if (now > overdueAt) {
      if (ref) await stopQuietly(deps, ref, 'job exceeded its timeout');
      return { kind: 'timeout', message: `the job exceeded its timeout of ${job.timeoutSeconds}s`, handler: null };
    }
  }

  const state = ref ? (states.get(ref) ?? { state: 'unknown' }) : { state: 'unknown' as const };
  if (state.state === 'stopped') {
    const detail = [state.exitCode !== null ? `exit code ${state.exitCode}` : null, state.reason].filter(Boolean).join(', ');
    return { kind: 'lost', message: `${worker} stopped without finishing${detail ? ` (${detail})` : ''}`, handler: null };
  }
  if (state.state === 'waiting' && job.status === 'DISPATCHED') {
    // Handed to the pool queue, not yet taken: a pool scaled to zero is being scaled out, which takes
    // minutes. Waiting is not being lost; only waiting past the start timeout is. The attempt retried,
    // its old hand-off is found not startable by whichever worker takes it.
    const handedAt = Date.parse(attempt.launchedAt ?? attempt.dispatchedAt);
    const waited = (now - handedAt) / 1000;
    const { startTimeoutSeconds } = deps.config.pool;
    if (waited <= startTimeoutSeconds) return null;
    return {
      kind: 'lost',
      message: `no pool worker started the attempt handed off as ${ref} within ${startTimeoutSeconds}s (AGENT_RUNNER_POOL_START_TIMEOUT_SECONDS)`,
      handler: null,
    };
  }
  if (job.status === 'RUNNING' && job.heartbeatAt) {
    const silentFor = (now - Date.parse(job.heartbeatAt)) / 1000;
    if (silentFor > MISSED_HEARTBEATS * heartbeatSeconds) {
      if (ref) await stopQuietly(deps, ref, 'worker heartbeat went silent');
      return { kind: 'lost', message: `${worker} sent no heartbeat for ${Math.round(silentFor)}s`, handler: null };
    }
  }
  return null;
}

async function failAndMaybeRequeue(deps: DispatcherDeps, seen: Job, failure: JobError): Promise<boolean> {
  const now = () => deps.clock.now();
  let requeued = false;
  const written = await applyTransition(
    deps.jobs,
    seen.jobId,
    (j) => {
      // Only the attempt we judged: if the job moved on since, the verdict is stale.
      if (j.attempt !== seen.attempt || j.status !== seen.status) return null;
      const outcome = failAttempt(j, seen.attempt, failure, now());
      requeued = outcome?.requeued ?? false;
      return outcome?.transition ?? null;
    },
    now,
  );
  if (!written.applied) return false;
  deps.log.warn({ job_id: seen.jobId, attempt: seen.attempt, reason: failure.message, requeued }, 'reaped worker');
  // Slots go back before the retry's message exists, so the retry cannot find them still held.
  await deps.leases.release(seen.jobId);
  if (!requeued) await deps.jobEnded?.(written.job);
  if (requeued) {
    try {
      await requeueWithBackoff(deps, written.job, seen.attempt);
    } catch (error) {
      deps.log.error({ err: error, job_id: seen.jobId }, 'requeue after reaping failed; the sweeper will retry');
    }
  }
  return true;
}

async function stopQuietly(deps: DispatcherDeps, workerRef: string, reason: string): Promise<void> {
  try {
    await deps.launcher.stop(workerRef, reason);
  } catch (error) {
    deps.log.warn({ err: error, worker_ref: workerRef }, 'could not stop worker');
  }
}
