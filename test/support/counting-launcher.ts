import type { LaunchRequest, LaunchedWorker, WorkerLauncher, WorkerState } from '@agent-runner/shared/ports/worker-launcher.ts';

/**
 * Wraps a real launcher and counts what went through it, so a test can prove "launched exactly
 * once" from the launches themselves. It launches for real; nothing is faked.
 */
export class CountingLauncher implements WorkerLauncher {
  readonly launches: LaunchRequest[] = [];
  private readonly inner: WorkerLauncher;
  constructor(inner: WorkerLauncher) {
    this.inner = inner;
  }
  async launch(request: LaunchRequest): Promise<LaunchedWorker> {
    const launched = await this.inner.launch(request);
    this.launches.push(request);
    return launched;
  }
  stop(workerRef: string, reason: string): Promise<void> {
    return this.inner.stop(workerRef, reason);
  }
  inspect(workerRef: string): Promise<WorkerState> {
    return this.inner.inspect(workerRef);
  }
  inspectAll(workerRefs: readonly string[]): Promise<Map<string, WorkerState>> {
    return this.inner.inspectAll(workerRefs);
  }
  async warm(): Promise<void> {
    await this.inner.warm?.();
  }
  async close(): Promise<void> {
    await this.inner.close?.();
  }
  launchesOf(jobId: string): number {
    return this.launches.filter((l) => l.jobId === jobId).length;
  }
}
