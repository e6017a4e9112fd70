import { computeCostUsd, computeUsage } from '@agent-runner/shared/domain/compute-cost.ts';
import type { ComputePrice, TaskSize } from '@agent-runner/shared/domain/compute-cost.ts';
import { addUsage, type AttemptSpend } from '@agent-runner/shared/domain/job-usage.ts';

/** Fargate bills at least one minute per task (aws.amazon.com/fargate/pricing). */
export const FARGATE_MINIMUM_SECONDS = 60;

export interface ComputeMeterOptions {
  /** When billing began: the ECS task's image pull, else this process's start. */
  startedAt: Date;
  price: ComputePrice;
  size: TaskSize;
  /** On Fargate, FARGATE_MINIMUM_SECONDS; a local process has none. */
  minimumSeconds: number;
}

/**
 * Prices the worker's own time, from when its task (or process) started to the write that ends
 * the attempt, in whole seconds as Fargate bills them. The worker measures itself because it is
 * the one party that is sure to be there at the end of every attempt it ends, and its last write
 * carries the cost at no extra call; what it cannot see is the task's shutdown after that write
 * (a few seconds), so the figure is a slight under-estimate of the bill. Unpriced (both prices 0):
 * nothing is recorded, and a job without model calls keeps `usage: null`.
 */
export class ComputeMeter {
  private readonly options: ComputeMeterOptions;
  private recorded = false;

  constructor(options: ComputeMeterOptions) {
    this.options = options;
  }

  /** `spent` with the compute up to `now` added: once per process, on the attempt's last write. */
  addTo(spent: AttemptSpend, now: Date): AttemptSpend {
    const { price, size, startedAt, minimumSeconds } = this.options;
    if (this.recorded || (price.vcpuHourUsd === 0 && price.gbHourUsd === 0)) return spent;
    this.recorded = true;
    const seconds = Math.max(minimumSeconds, Math.ceil((now.getTime() - startedAt.getTime()) / 1000));
    return { ...spent, usage: addUsage(spent.usage, computeUsage(seconds, computeCostUsd(seconds, size, price))) };
  }
}
