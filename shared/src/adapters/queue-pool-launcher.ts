import { currentAttempt, type Job } from '../domain/job.ts';
import { FatalError } from '../domain/errors.ts';
import type { JobStore } from '../ports/job-store.ts';
import type { PoolQueue } from '../ports/pool-queue.ts';
import type { LaunchedWorker, LaunchRequest, WorkerLauncher, WorkerState } from '../ports/worker-launcher.ts';

/** Refs of attempts handed to a pool queue: `sqspool:<queue name>:<job id>:<attempt>`. */
export const QUEUE_POOL_REF = 'sqspool:';

export function queuePoolWorkerRef(queue: string, jobId: string, attempt: number): string {
  return `${QUEUE_POOL_REF}${queue}:${jobId}:${attempt}`;
}

export function parseQueuePoolWorkerRef(workerRef: string): { queue: string; jobId: string; attempt: number } | null {
  const match = /^sqspool:([A-Za-z0-9_.-]+):([A-Za-z0-9_-]+):(\d+)$/.exec(workerRef);
  if (!match) return null;
  return { queue: match[1]!, jobId: match[2]!, attempt: Number(match[3]) };
}

/**
 * A warm pool whose workers take attempts from a queue (AWS: pool worker tasks of an ECS service
 * long-polling `<prefix>-pool`; services/worker/src/sqs-pool-main.ts). The launch is a send of
 * `{ jobId, attempt }` after the claim, so no launch names a worker: the ref names the queue and
 * the attempt, and what runs it is learnt from the job record, where the worker's conditional start
 * (DISPATCHED → RUNNING for that attempt) writes its ECS task ARN.
 *
 * - `waiting`: the attempt is DISPATCHED, its hand-off not yet taken (or taken by a worker that has
 *   not started it yet). The reaper gives it AGENT_RUNNER_POOL_START_TIMEOUT_SECONDS.
 * - RUNNING in a recorded task: that task's state (DescribeTasks through `tasks`), so a stopped task's
 *   attempt is found at once; RUNNING with no task recorded (a worker outside ECS): `running`, and its
 *   heartbeat alone decides.
 * - the attempt over, or superseded: `stopped`.
 *
 * `stop` stops the task that runs the attempt (StopTask: the worker stops the job on SIGTERM as a
 * one-shot worker does, and the service replaces the task). The dispatcher stops only workers the
 * reaper finds silent or overdue: a cancelled job is stopped by its own worker's heartbeat, which
 * sees the cancellation, aborts the job and retires, without a task being killed from outside.
 */
export class QueuePoolLauncher implements WorkerLauncher {
  private readonly queue: PoolQueue;
  private readonly jobs: Pick<JobStore, 'get'>;
  private readonly tasks: WorkerLauncher;

  /** `tasks`: the launcher that answers for task ARNs (ECS), for the task a pooled attempt runs in. */
  constructor(queue: PoolQueue, jobs: Pick<JobStore, 'get'>, tasks: WorkerLauncher) {
    this.queue = queue;
    this.jobs = jobs;
    this.tasks = tasks;
  }

  async launch(request: LaunchRequest): Promise<LaunchedWorker> {
    if (!/^[A-Za-z0-9_-]+$/.test(request.jobId)) throw new FatalError(`job id "${request.jobId}" cannot name a pool worker ref`);
    // The setting the reaper judges workers by travels with the hand-off, as a one-shot launch's env.
    const heartbeatSeconds = Number(request.env?.AGENT_RUNNER_HEARTBEAT_SECONDS);
    await this.queue.send({
      jobId: request.jobId,
      attempt: request.attempt,
      ...(Number.isInteger(heartbeatSeconds) && heartbeatSeconds > 0 ? { heartbeatSeconds } : {}),
    });
    return { workerRef: queuePoolWorkerRef(this.queue.name, request.jobId, request.attempt) };
  }

  async inspect(workerRef: string): Promise<WorkerState> {
    return (await this.inspectAll([workerRef])).get(workerRef)!;
  }

  async inspectAll(workerRefs: readonly string[]): Promise<Map<string, WorkerState>> {
    const states = new Map<string, WorkerState>();
    const inTasks = new Map<string, string>();
    for (const ref of new Set(workerRefs)) {
      const parsed = parseQueuePoolWorkerRef(ref);
      const job = parsed ? await this.jobs.get(parsed.jobId) : null;
      const seen = parsed && job ? stateOnRecord(job, parsed.attempt) : { state: 'unknown' as const };
      if ('taskArn' in seen) inTasks.set(ref, seen.taskArn);
      else states.set(ref, seen);
    }
    // Every recorded task in one ask (ECS: one DescribeTasks per 100).
    const tasks = inTasks.size > 0 ? await this.tasks.inspectAll([...new Set(inTasks.values())]) : new Map<string, WorkerState>();
    for (const [ref, taskArn] of inTasks) {
      const task = tasks.get(taskArn) ?? { state: 'unknown' as const };
      // A task ECS no longer knows (stopped long ago): its heartbeat decides, as for a worker outside ECS.
      states.set(ref, task.state === 'unknown' ? { state: 'running' } : task);
    }
    return states;
  }

  async stop(workerRef: string, reason: string): Promise<void> {
    const parsed = parseQueuePoolWorkerRef(workerRef);
    if (!parsed) return;
    const job = await this.jobs.get(parsed.jobId);
    const seen = job ? stateOnRecord(job, parsed.attempt) : null;
    // Only a task recorded as running this very attempt; a hand-off still queued is found not
    // startable by whichever worker takes it, since the job has moved on.
    if (seen && 'taskArn' in seen) await this.tasks.stop(seen.taskArn, reason);
  }
}

/** What the job record says of the attempt: waiting, over, running somewhere unknown, or in a task. */
function stateOnRecord(job: Job, attempt: number): WorkerState | { taskArn: string } {
  const current = currentAttempt(job);
  if (job.attempt !== attempt || !current || current.number !== attempt) {
    return { state: 'stopped', exitCode: null, reason: `attempt ${attempt} is no longer the job's current attempt` };
  }
  if (job.status === 'DISPATCHED') return { state: 'waiting' };
  if (job.status !== 'RUNNING') return { state: 'stopped', exitCode: null, reason: `the attempt ended ${job.status}` };
  return current.taskArn ? { taskArn: current.taskArn } : { state: 'running' };
}
