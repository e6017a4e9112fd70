import { FatalError } from '../domain/errors.ts';
import type { LaunchedWorker, LaunchRequest, WorkerLauncher, WorkerState } from '../ports/worker-launcher.ts';
import { QUEUE_POOL_REF } from './queue-pool-launcher.ts';

/**
 * Pooled refs start so: a local pool's `pool:<pid>:<jobId>:<attempt>`, a queue pool's
 * `sqspool:<queue>:<jobId>:<attempt>`; no one-shot launcher's do (a pid or a task ARN).
 */
const isPooledRef = (ref: string) => ref.startsWith('pool:') || ref.startsWith(QUEUE_POOL_REF);

/**
 * One launcher for the dispatcher, two ways to run an attempt: a launch goes to the one-shot or
 * the pooled launcher by the job's isolation, and a worker ref is answered for by the launcher
 * that made it (told apart by its prefix). Nothing else about launching changes.
 */
export class IsolationRoutingLauncher implements WorkerLauncher {
  private readonly oneShot: WorkerLauncher;
  private readonly pooled: WorkerLauncher | null;

  constructor(oneShot: WorkerLauncher, pooled: WorkerLauncher | null) {
    this.oneShot = oneShot;
    this.pooled = pooled;
  }

  launch(request: LaunchRequest): Promise<LaunchedWorker> {
    if (request.isolation !== 'pooled') return this.oneShot.launch(request);
    if (!this.pooled) throw new FatalError('this deployment has no warm pool for pooled jobs');
    return this.pooled.launch(request);
  }

  stop(workerRef: string, reason: string): Promise<void> {
    return this.owner(workerRef).stop(workerRef, reason);
  }

  inspect(workerRef: string): Promise<WorkerState> {
    return this.owner(workerRef).inspect(workerRef);
  }

  async inspectAll(workerRefs: readonly string[]): Promise<Map<string, WorkerState>> {
    const pooled = workerRefs.filter(isPooledRef);
    const oneShot = workerRefs.filter((ref) => !isPooledRef(ref));
    const [a, b] = await Promise.all([
      oneShot.length > 0 ? this.oneShot.inspectAll(oneShot) : new Map<string, WorkerState>(),
      pooled.length > 0 ? this.owner(pooled[0]!).inspectAll(pooled) : new Map<string, WorkerState>(),
    ]);
    return new Map([...a, ...b]);
  }

  async warm(): Promise<void> {
    await Promise.all([this.oneShot.warm?.(), this.pooled?.warm?.()]);
  }

  async close(): Promise<void> {
    await Promise.all([this.oneShot.close?.(), this.pooled?.close?.()]);
  }

  private owner(workerRef: string): WorkerLauncher {
    if (!isPooledRef(workerRef)) return this.oneShot;
    // A pooled ref with no pool here (a deployment that dropped pools): nothing can be known of it.
    return this.pooled ?? UNKNOWN_WORKERS;
  }
}

const UNKNOWN_WORKERS: WorkerLauncher = {
  launch: () => Promise.reject(new FatalError('no warm pool')),
  stop: async () => {},
  inspect: async () => ({ state: 'unknown' }),
  inspectAll: async (refs) => new Map(refs.map((ref) => [ref, { state: 'unknown' } as const])),
};
