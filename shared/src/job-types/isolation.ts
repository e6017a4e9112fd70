import type { Config } from '../config/config.ts';
import { ValidationError } from '../domain/errors.ts';
import type { Isolation } from '../domain/job.ts';
import { isJobTypeName, JOB_TYPES } from './catalogue.ts';

/** Whether the catalogue lets jobs of this type run on a warm pool's shared worker. */
export function allowsPooled(jobType: string): boolean {
  return isJobTypeName(jobType) && JOB_TYPES[jobType].allowsPooled === true;
}

/**
 * A submission's isolation: what it asked for, else its type's default (AGENT_RUNNER_POOLED_TYPES).
 * Asking `pooled` for a type that does not allow it, or where no pool can run it, is refused
 * (ValidationError on `isolation`) rather than quietly run another way.
 */
export function resolveIsolation(jobType: string, requested: Isolation | undefined, config: Config): Isolation {
  if (requested === undefined) return config.pool.pooledTypes.includes(jobType) ? 'pooled' : 'one_shot';
  if (requested === 'pooled') {
    const why = !allowsPooled(jobType)
      ? `job type "${jobType}" does not allow pooled isolation`
      : config.launcher === 'ecs' && !config.aws?.poolQueueUrl
        ? 'pooled isolation on the ecs launcher needs a warm pool (AGENT_RUNNER_POOL_QUEUE_URL is not set)'
        : null;
    if (why) throw new ValidationError(why, { problem: 'invalid-request', errors: [{ path: 'isolation', message: why }] });
  }
  return requested;
}

/** Problems with AGENT_RUNNER_POOLED_TYPES: names the catalogue lacks, or types that must run one-shot. */
export function pooledTypesProblems(config: Config): string[] {
  return config.pool.pooledTypes
    .filter((name) => !allowsPooled(name))
    .map((name) =>
      isJobTypeName(name)
        ? `AGENT_RUNNER_POOLED_TYPES: job type "${name}" does not allow pooled isolation`
        : `AGENT_RUNNER_POOLED_TYPES: unknown job type "${name}"`,
    );
}
