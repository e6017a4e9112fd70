import { roundUsd, type JobUsage } from './job-usage.ts';

/** USD per hour of a Fargate task's size, as AWS prices it: per vCPU and per GB of memory. */
export interface ComputePrice {
  vcpuHourUsd: number;
  gbHourUsd: number;
}

/** A worker task's size: `cpu` in ECS CPU units (1024 = 1 vCPU), `memoryMiB` in MiB, as in the task definition. */
export interface TaskSize {
  cpu: number;
  memoryMiB: number;
}

/** What `seconds` of a task of `size` cost at `price`. */
export function computeCostUsd(seconds: number, size: TaskSize, price: ComputePrice): number {
  const perHour = (size.cpu / 1024) * price.vcpuHourUsd + (size.memoryMiB / 1024) * price.gbHourUsd;
  return roundUsd((seconds / 3600) * perHour);
}

/** A priced worker's usage for one attempt: no model calls, only its compute. */
export function computeUsage(seconds: number, costUsd: number): JobUsage {
  return {
    calls: 0,
    input_tokens: 0,
    output_tokens: 0,
    cache_write_tokens: 0,
    cache_read_tokens: 0,
    cost_usd: 0,
    by_model: {},
    compute_seconds: seconds,
    compute_cost_usd: costUsd,
  };
}

/** Claude plus compute: what a job's recorded usage cost in all. */
export function totalCostUsd(usage: JobUsage | null): number {
  return usage === null ? 0 : roundUsd(usage.cost_usd + (usage.compute_cost_usd ?? 0));
}
