import { z } from 'zod';
import type { ComputePrice, TaskSize } from '../domain/compute-cost.ts';

/**
 * Fargate's public list price, us-east-1, Linux/x86, on demand (aws.amazon.com/fargate/pricing):
 * USD 0.04048 per vCPU-hour and USD 0.004445 per GB-hour. The defaults when workers run on ECS.
 */
export const FARGATE_LIST_PRICE: ComputePrice = { vcpuHourUsd: 0.04048, gbHourUsd: 0.004445 };

const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const usd = z.coerce.number().min(0).max(1000);

/** The variables of cost, logs, exec and metrics; spread into the one ENV_SCHEMA. */
export const OBSERVABILITY_ENV = {
  /** USD per vCPU-hour a worker costs; default the Fargate list price with the ECS launcher, else 0. */
  AGENT_RUNNER_FARGATE_PRICE_VCPU_HOUR: usd.optional(),
  /** USD per GB-hour of worker memory; same defaults. */
  AGENT_RUNNER_FARGATE_PRICE_GB_HOUR: usd.optional(),
  /** The worker task's size (its task definition's `cpu` and `memory`), what compute is priced by. */
  AGENT_RUNNER_WORKER_CPU: z.coerce.number().int().min(128).max(16384).default(512),
  AGENT_RUNNER_WORKER_MEMORY: z.coerce.number().int().min(256).max(122880).default(1024),
  /** Launch workers with ECS Exec enabled, so `agent-runner exec` can open a shell in one. */
  AGENT_RUNNER_ECS_EXEC: flag.default(false),
  /** The CloudWatch Logs group of the worker task definition's awslogs driver; unset: no stream recorded. */
  AGENT_RUNNER_WORKER_LOG_GROUP: z.string().min(1).max(512).optional(),
  /** Its `awslogs-stream-prefix`: a task's stream is `<prefix>/<container>/<task id>`. */
  AGENT_RUNNER_WORKER_LOG_STREAM_PREFIX: z.string().min(1).max(256).default('worker'),
};

const OBSERVABILITY_SCHEMA = z.object(OBSERVABILITY_ENV);
type ObservabilityEnv = z.output<typeof OBSERVABILITY_SCHEMA>;

export interface ObservabilityConfig {
  /** What a worker's time is priced at; both 0: compute is not recorded. */
  computePrice: ComputePrice;
  workerSize: TaskSize;
  ecsExec: boolean;
  /** Where the worker tasks' awslogs driver writes; null: not known, no stream is recorded. */
  workerLogs: { group: string; streamPrefix: string } | null;
}

export function observabilityConfig(env: ObservabilityEnv, launcher: 'ecs' | 'process'): ObservabilityConfig {
  const listed = launcher === 'ecs' ? FARGATE_LIST_PRICE : { vcpuHourUsd: 0, gbHourUsd: 0 };
  return {
    computePrice: {
      vcpuHourUsd: env.AGENT_RUNNER_FARGATE_PRICE_VCPU_HOUR ?? listed.vcpuHourUsd,
      gbHourUsd: env.AGENT_RUNNER_FARGATE_PRICE_GB_HOUR ?? listed.gbHourUsd,
    },
    workerSize: { cpu: env.AGENT_RUNNER_WORKER_CPU, memoryMiB: env.AGENT_RUNNER_WORKER_MEMORY },
    ecsExec: env.AGENT_RUNNER_ECS_EXEC,
    workerLogs: env.AGENT_RUNNER_WORKER_LOG_GROUP
      ? { group: env.AGENT_RUNNER_WORKER_LOG_GROUP, streamPrefix: env.AGENT_RUNNER_WORKER_LOG_STREAM_PREFIX }
      : null,
  };
}

/**
 * The settings a worker prices its own time by, sent with each launch (as the heartbeat is): a
 * worker task's own environment says LAUNCHER=process, so only the dispatcher knows the price.
 */
export function computeSettingsForWorker(config: ObservabilityConfig): Record<string, string> {
  return {
    AGENT_RUNNER_FARGATE_PRICE_VCPU_HOUR: String(config.computePrice.vcpuHourUsd),
    AGENT_RUNNER_FARGATE_PRICE_GB_HOUR: String(config.computePrice.gbHourUsd),
    AGENT_RUNNER_WORKER_CPU: String(config.workerSize.cpu),
    AGENT_RUNNER_WORKER_MEMORY: String(config.workerSize.memoryMiB),
  };
}
