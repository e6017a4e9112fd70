import type { z } from 'zod';
import type { Config } from '../config/config.ts';

/** A payload problem found by a job type's configuration-dependent check; `path` is within the payload. */
export interface PayloadProblem {
  path: string;
  message: string;
}

/**
 * What describes a job type, apart from the code that runs it (that is the worker's): its name,
 * its description, its payload schema, and the submit-time checks that need the deployment's
 * configuration. The API and a running job's submit_job tool validate submissions with it; the
 * worker parses the payload with the same schema before it runs the job.
 */
export interface JobType<Name extends string, P> {
  readonly name: Name;
  readonly description: string;
  readonly payloadSchema: z.ZodType<P>;
  /**
   * Whether a job of this type may run on a warm pool's long-lived worker, which runs other jobs
   * before and after it in the same process (default false: one process per attempt). A type that
   * runs what a model or a payload chooses against the network keeps a process of its own.
   */
  readonly allowsPooled?: boolean;
  /**
   * Checks that need the deployment's configuration (the allowed models, the enabled tools), run
   * at submit time after the schema accepts the payload: a payload with problems is refused. The
   * runner must not rely on them having run (the worker's configuration may differ).
   */
  checkPayload?(payload: P, config: Config): PayloadProblem[];
}

/** Checks `spec` has the shape of a job type and keeps its literal name and payload type. */
export function defineJobType<Name extends string, P>(spec: JobType<Name, P>): JobType<Name, P> {
  return spec;
}
