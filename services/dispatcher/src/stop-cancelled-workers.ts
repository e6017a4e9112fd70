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

  async stopCancelledWorkers(): Promise<number> {
    const active = new Map<string, string>();
    for (const status of ['RUNNING', 'DISPATCHED'] as const) {
      for (const job of await this.deps.jobs.listByStatus(status, 500)) {
        const ref = job.attempts.find((a) => a.number === job.attempt)?.workerRef;
        if (ref) active.set(job.jobId, ref);
      }
    }
    let stopped = 0;
    for (const [jobId, workerRef] of this.seen) {
      if (active.has(jobId)) continue;
      const job = await this.deps.jobs.get(jobId);
      if (job?.status !== 'CANCELLED') continue;
      const state = await this.deps.launcher.inspect(workerRef);
      if (state.state !== 'running') continue;
      await this.deps.launcher.stop(workerRef, 'job cancelled');
      this.deps.log.info({ job_id: jobId, worker_ref: workerRef }, 'stopped the worker of a cancelled job');
      stopped++;
    }
    this.seen = active;
    return stopped;
  }
}
