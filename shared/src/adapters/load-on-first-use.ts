import type { JobMessage } from '../domain/job.ts';
import type { DeliveryHandler, EnqueueOptions, JobFeed, JobFeedEvents, JobQueue, QueueDepth } from '../ports/job-queue.ts';
import type { SecretSource } from '../ports/secrets.ts';
import type { LaunchedWorker, LaunchRequest, WorkerLauncher, WorkerState } from '../ports/worker-launcher.ts';

/**
 * Ports whose adapter (and what it loads: an AWS SDK client, node:child_process) is imported when
 * first used. A worker runs one job: an echo job never sends to SQS (only a retry or a child job
 * does), reads no secret (only Claude jobs) and launches nothing, so it should not pay for
 * importing those.
 */

/** `load()` once, on the first call; a failed load is tried again on the next call. */
export function once<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | null = null;
  return () => {
    loading ??= load().catch((error: unknown) => {
      loading = null;
      throw error;
    });
    return loading;
  };
}

export class QueueLoadedOnFirstUse implements JobQueue {
  private readonly queue: () => Promise<JobQueue>;
  constructor(load: () => Promise<JobQueue>) {
    this.queue = once(load);
  }
  async enqueue(message: JobMessage, options?: EnqueueOptions): Promise<void> {
    return (await this.queue()).enqueue(message, options);
  }
  async depth(): Promise<QueueDepth> {
    return (await this.queue()).depth();
  }
}

export class SecretsLoadedOnFirstUse implements SecretSource {
  private readonly source: () => Promise<SecretSource>;
  constructor(load: () => Promise<SecretSource>) {
    this.source = once(load);
  }
  async getSecret(name: string): Promise<string | null> {
    return (await this.source()).getSecret(name);
  }
}

export class LauncherLoadedOnFirstUse implements WorkerLauncher {
  private readonly launcher: () => Promise<WorkerLauncher>;
  private loaded = false;
  constructor(load: () => Promise<WorkerLauncher>) {
    const loadOnce = once(load);
    this.launcher = () => {
      this.loaded = true;
      return loadOnce();
    };
  }
  async launch(request: LaunchRequest): Promise<LaunchedWorker> {
    return (await this.launcher()).launch(request);
  }
  async stop(workerRef: string, reason: string): Promise<void> {
    return (await this.launcher()).stop(workerRef, reason);
  }
  async inspect(workerRef: string): Promise<WorkerState> {
    return (await this.launcher()).inspect(workerRef);
  }
  async inspectAll(workerRefs: readonly string[]): Promise<Map<string, WorkerState>> {
    return (await this.launcher()).inspectAll(workerRefs);
  }
  async warm(): Promise<void> {
    await (await this.launcher()).warm?.();
  }
  async close(): Promise<void> {
    // Never loaded: nothing to let go of (and nothing worth importing now).
    if (!this.loaded) return;
    await (await this.launcher()).close?.();
  }
}

/**
 * A feed whose adapter is imported at once, in the background: `start`, `on` and `stop` act on it
 * in the order they were called as soon as it is there. Should the import fail, `error` listeners
 * hear it and `stop` rejects with it.
 */
export class FeedLoadedOnFirstUse implements JobFeed {
  private readonly feed: Promise<JobFeed>;
  private readonly errorListeners: JobFeedEvents['error'][] = [];
  constructor(load: () => Promise<JobFeed>) {
    this.feed = load();
    this.feed.catch((error: unknown) => {
      for (const listener of this.errorListeners) listener(error instanceof Error ? error : new Error(String(error)));
    });
  }
  start(handler: DeliveryHandler): void {
    this.feed.then(
      (feed) => feed.start(handler),
      () => {},
    );
  }
  async stop(): Promise<void> {
    return (await this.feed).stop();
  }
  on<E extends keyof JobFeedEvents>(event: E, listener: JobFeedEvents[E]): void {
    if (event === 'error') this.errorListeners.push(listener as JobFeedEvents['error']);
    this.feed.then(
      (feed) => feed.on(event, listener),
      () => {},
    );
  }
}
