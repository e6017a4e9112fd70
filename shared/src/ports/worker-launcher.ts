import type { AttemptLogStream, Isolation } from '../domain/job.ts';

/** What a worker needs to know to run one attempt of one job. */
export interface LaunchRequest {
  jobId: string;
  attempt: number;
  jobType: string;
  /** One process for this attempt alone, or a warm pool's worker. Absent: `one_shot`. */
  isolation?: Isolation;
  /**
   * Extra environment for the worker: settings that must agree between the dispatcher and its
   * workers (e.g. the heartbeat interval the reaper judges by). ECS: container override; process: env.
   */
  env?: Record<string, string>;
}

export interface LaunchedWorker {
  /** ECS task ARN, or `pid:<n>` for a local process. Recorded on the attempt. */
  workerRef: string;
  /** Where the worker's output goes, when the launcher knows (ECS + awslogs). Recorded on the attempt. */
  logStream?: AttemptLogStream;
}

export type WorkerState =
  | { state: 'running' }
  | { state: 'stopped'; exitCode: number | null; reason: string | null }
  /**
   * Handed to a queue that pool workers take attempts from, and not yet taken: nothing runs it, and
   * nothing has failed either (a pool scaled to zero is starting a task). The reaper judges such an
   * attempt by how long it has waited (AGENT_RUNNER_POOL_START_TIMEOUT_SECONDS), not as lost.
   */
  | { state: 'waiting' }
  /** The launcher has no record of it (e.g. a process started by another dispatcher). */
  | { state: 'unknown' };

/**
 * Starts one one-shot worker per job attempt. A launch that fails throws RetryableError (capacity,
 * throttling, spawn error) or FatalError (misconfiguration); either way nothing is left half-launched.
 */
export interface WorkerLauncher {
  launch(request: LaunchRequest): Promise<LaunchedWorker>;
  stop(workerRef: string, reason: string): Promise<void>;
  inspect(workerRef: string): Promise<WorkerState>;
  /**
   * The states of many workers, asked for together; the map has every ref asked for. The reaper
   * looks at every running worker each round: ECS describes 100 tasks per DescribeTasks call, and
   * that call is throttled per account, so a thousand running jobs must cost ten calls, not a thousand.
   */
  inspectAll(workerRefs: readonly string[]): Promise<Map<string, WorkerState>>;
  /**
   * Starts what a launcher keeps ready (a warm pool's minimum). Optional: one-shot launchers keep nothing.
   */
  warm?(): Promise<void>;
  /**
   * Lets go of what the launcher keeps (idle pool workers exit; a busy one finishes its job first).
   * Workers of one-shot launchers outlive it, as ECS tasks outlive a dispatcher.
   */
  close?(): Promise<void>;
}
