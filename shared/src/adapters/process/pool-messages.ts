/**
 * What a warm pool's launcher and its worker processes say to each other over Node's IPC channel
 * (`fork`). One job at a time per worker: the launcher sends `run` only to a worker that is idle.
 */

/** Launcher → worker. */
export type ToPoolWorker =
  /** Run this attempt (the same code path as a one-shot worker's, with the same conditional start). */
  | { type: 'run'; jobId: string; attempt: number }
  /** Stop this attempt if it is the one running (cancel, lost heartbeat, timeout): the job, not the process. */
  | { type: 'stop'; jobId: string; attempt: number }
  /** Exit once idle (pool shrinking or closing). */
  | { type: 'exit' };

/** Worker → launcher. */
export type FromPoolWorker =
  /** Started, backend open: ready for a job. */
  | { type: 'ready' }
  /**
   * The attempt's run is over (its last write made, or given up). `retiring`: the worker exits
   * now instead of taking another job (job count, memory ceiling, or an aborted handler).
   */
  | { type: 'done'; jobId: string; attempt: number; outcome: string; retiring: boolean; rssMb: number };

export function isFromPoolWorker(message: unknown): message is FromPoolWorker {
  return typeof message === 'object' && message !== null && 'type' in message && (message.type === 'ready' || message.type === 'done');
}

export function isToPoolWorker(message: unknown): message is ToPoolWorker {
  if (typeof message !== 'object' || message === null || !('type' in message)) return false;
  if (message.type === 'exit') return true;
  return (
    (message.type === 'run' || message.type === 'stop') &&
    'jobId' in message &&
    typeof message.jobId === 'string' &&
    'attempt' in message &&
    typeof message.attempt === 'number'
  );
}
