import { systemClock, type Clock } from '../domain/ids.ts';
import type { QueueDepth } from '../ports/job-queue.ts';
import type { AgentRunnerMetrics } from './metrics.ts';

export interface QueueDepthSample {
  depth: QueueDepth;
  sampledAt: Date;
}

export interface QueueDepthSamplerOptions {
  /**
   * Time between samples. Default 15 000 ms: Prometheus' default scrape interval. On AWS one sample
   * is a GetQueueAttributes call per queue (5), so this costs ~30 000 requests a day — it must not
   * happen per scrape, where every Prometheus replica and dashboard tab would multiply it.
   */
  intervalMs?: number;
  /** Default: the system clock. */
  clock?: Clock;
  /** A failed sample; the gauges keep the last good values (their timestamp gauge shows their age). */
  onError?: (error: unknown) => void;
}

export interface QueueDepthSampler {
  /** The last successful sample; null before the first one. */
  latest(): QueueDepthSample | null;
  /** Samples at once (and on the interval after). Resolves when this sample is recorded or failed. */
  sampleNow(): Promise<void>;
  /** Stops sampling; waits for a sample in progress. */
  stop(): Promise<void>;
}

/**
 * Keeps the queue-depth gauges fresh: reads `readDepth` (a JobQueue's `depth`) now and every
 * `intervalMs`, one read at a time. Its timer does not keep the process alive.
 */
export function startQueueDepthSampler(
  metrics: AgentRunnerMetrics,
  readDepth: () => Promise<QueueDepth>,
  options: QueueDepthSamplerOptions = {},
): QueueDepthSampler {
  const intervalMs = options.intervalMs ?? 15_000;
  const clock = options.clock ?? systemClock;
  const onError = options.onError ?? (() => {});
  let latest: QueueDepthSample | null = null;
  let inProgress: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => void sample(), intervalMs);
    timer.unref();
  };
  const readOnce = async (): Promise<void> => {
    try {
      const depth = await readDepth();
      const sampledAt = clock.now();
      metrics.setQueueDepth(depth, sampledAt);
      latest = { depth, sampledAt };
    } catch (error) {
      onError(error);
    }
  };
  const sample = (): Promise<void> => {
    if (inProgress) return inProgress;
    if (timer) clearTimeout(timer);
    timer = null;
    // `.finally` runs as a promise reaction, so after this assignment even if readDepth throws at once.
    inProgress = readOnce().finally(() => {
      inProgress = null;
      schedule();
    });
    return inProgress;
  };
  void sample();

  return {
    latest: () => latest,
    sampleNow: sample,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await inProgress;
    },
  };
}
