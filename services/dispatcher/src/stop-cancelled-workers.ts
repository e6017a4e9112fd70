import { currentAttempt, type Job } from '@agent-runner/shared/domain/job.ts';
import type { WorkerState } from '@agent-runner/shared/ports/worker-launcher.ts';
import type { DispatcherDeps } from './dispatcher-deps.ts';

/**
 * Stops the workers of jobs cancelled while they ran (StopTask / kill). The API only records the
 * cancellation — it never touches workers — and a worker notices it at its next heartbeat; this
 * makes sure it stops even if it is stuck. It remembers which workers it saw running on its last
 * round and looks at those that have left RUNNING/DISPATCHED since.
 */
export class CancelledWorkerStopper {
  private seen = new Map<string, string>();
  private readonly deps: DispatcherDeps;

  constructor(deps: DispatcherDeps) {
    this.deps = deps;
  }

  /** `listed`: every job DISPATCHED or RUNNING now (the reaper's listing of this round). */
  async stopCancelledWorkers(listed: readonly Job[]): Promise<number> {
    const active = new Map<string, string>();
    for (const job of listed) {
      const ref = currentAttempt(job)?.workerRef;
      if (ref) active.set(job.jobId, ref);
    }
    const cancelled = new Map<string, string>();
    // Every job that left the listing since the last round (most of them simply ended), read in one
    // ask (one BatchGetItem per 100 on DynamoDB), not one read each.
    const left = [...this.seen.keys()].filter((jobId) => !active.has(jobId));
    for (const job of left.length > 0 ? await this.deps.jobs.getMany(left) : []) {
      const workerRef = this.seen.get(job.jobId);
      if (job.status === 'CANCELLED' && workerRef) cancelled.set(job.jobId, workerRef);
    }
    const states = cancelled.size > 0 ? await this.deps.launcher.inspectAll([...cancelled.values()]) : new Map<string, WorkerState>();
    let stopped = 0;
    for (const [jobId, workerRef] of cancelled) {
      if (states.get(workerRef)?.state !== 'running') continue;
      await this.deps.launcher.stop(workerRef, 'job cancelled');
      this.deps.log.info({ job_id: jobId, worker_ref: workerRef }, 'stopped the worker of a cancelled job');
      stopped++;
    }
    this.seen = active;
    return stopped;
  }
}
