import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../config/config.ts';
import { FatalError, RetryableError, describeError } from '../../domain/errors.ts';
import { errorCode, isAlive } from './process-liveness.ts';
import type { LaunchRequest, LaunchedWorker, WorkerLauncher, WorkerState } from '../../ports/worker-launcher.ts';

export interface ProcessLauncherOptions {
  /** The environment every worker starts from (PATH, HOME …); the config's variables and the job's go on top. Default: none. */
  baseEnv?: Record<string, string | undefined>;
  /** The worker command. Default: `config.workerCommand`, else this repo's worker entry run by this Node. */
  command?: string[];
  /** How long `stop` waits after SIGTERM before it sends SIGKILL. Default 5000 ms. */
  stopGraceMs?: number;
}

/** This repository's worker program (its bundle when built), found from this file so it works from any working directory. */
const WORKER_ENTRY = fileURLToPath(new URL('../../../../services/worker/src/entry.ts', import.meta.url));
/** How many exited children are remembered for `inspect` (the reaper asks soon after an exit). */
const REMEMBERED_EXITS = 10_000;
const POLL_MS = 50;

interface TrackedChild {
  child: ChildProcess;
  exited: Promise<void>;
  exit: { code: number | null; signal: NodeJS.Signals | null } | null;
}

/**
 * Runs each job attempt as a child process: the worker command with the job in its environment
 * (JOB_ID, JOB_ATTEMPT) and its output appended to `<dataDir>/logs/<jobId>-<attempt>.log`.
 */
export function createProcessLauncher(config: Config, options: ProcessLauncherOptions = {}): WorkerLauncher {
  return new ProcessLauncher(config, options);
}

/**
 * Workers run in their own process group (detached), as ECS tasks outlive a dispatcher restart: a
 * Ctrl-C aimed at the dispatcher does not kill the jobs it launched, and `stop` signals the whole
 * group, so whatever a worker started goes too. Children are not waited on (unref'd): a dispatcher
 * may exit while its workers finish. A worker started by another process is inspected and stopped
 * by pid alone.
 */
class ProcessLauncher implements WorkerLauncher {
  private readonly config: Config;
  private readonly baseEnv: Record<string, string>;
  private readonly command: readonly string[];
  private readonly stopGraceMs: number;
  private readonly children = new Map<number, TrackedChild>();

  constructor(config: Config, options: ProcessLauncherOptions) {
    this.config = config;
    this.baseEnv = Object.fromEntries(
      Object.entries(options.baseEnv ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined),
    );
    this.command = options.command ?? config.workerCommand ?? [process.execPath, '--disable-warning=ExperimentalWarning', WORKER_ENTRY];
    if (this.command.length === 0) throw new FatalError('the worker command is empty');
    this.stopGraceMs = options.stopGraceMs ?? 5_000;
  }

  async launch(request: LaunchRequest): Promise<LaunchedWorker> {
    // The job id names the log file: refuse anything that could leave the logs directory.
    if (!/^[A-Za-z0-9_-]+$/.test(request.jobId)) throw new FatalError(`job id "${request.jobId}" cannot name a log file`);
    const logDir = join(this.config.dataDir, 'logs');
    const logPath = join(logDir, `${request.jobId}-${request.attempt}.log`);
    const [file, ...args] = this.command as [string, ...string[]];
    let child: ChildProcess;
    let logExisted = false;
    let log: number | null = null;
    try {
      mkdirSync(logDir, { recursive: true });
      logExisted = existsSync(logPath);
      log = openSync(logPath, 'a');
      child = spawn(file, args, {
        env: {
          // Node's compile cache: a worker (one process per job) starts in about half the time
          // once the modules it loads have been compiled by an earlier one.
          NODE_COMPILE_CACHE: resolve(this.config.dataDir, 'compile-cache'),
          ...this.baseEnv,
          ...this.config.env,
          ...request.env,
          JOB_ID: request.jobId,
          JOB_ATTEMPT: String(request.attempt),
        },
        stdio: ['ignore', log, log],
        detached: true,
      });
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
    } catch (error) {
      if (!logExisted) rmSync(logPath, { force: true });
      throw new RetryableError(`could not start worker "${file}": ${describeError(error)}`, { cause: error });
    } finally {
      if (log !== null) closeSync(log); // the child holds its own copy
    }
    const pid = child.pid!;
    this.track(pid, child);
    return { workerRef: `pid:${pid}` };
  }

  async inspect(workerRef: string): Promise<WorkerState> {
    const pid = pidOf(workerRef);
    if (pid === null) return { state: 'unknown' };
    const tracked = this.children.get(pid);
    if (tracked) {
      if (!tracked.exit) return { state: 'running' };
      const { code, signal } = tracked.exit;
      return { state: 'stopped', exitCode: code, reason: signal ? `killed by ${signal}` : `exited with code ${code}` };
    }
    return isAlive(pid) ? { state: 'running' } : { state: 'stopped', exitCode: null, reason: 'process not found' };
  }

  async inspectAll(workerRefs: readonly string[]): Promise<Map<string, WorkerState>> {
    // Each is a table lookup or a signal 0: nothing to batch.
    return new Map(await Promise.all(workerRefs.map(async (ref) => [ref, await this.inspect(ref)] as const)));
  }

  /** SIGTERM, then SIGKILL after the grace period; resolves once the worker is gone. */
  async stop(workerRef: string, _reason: string): Promise<void> {
    const pid = pidOf(workerRef);
    if (pid === null) return;
    const tracked = this.children.get(pid);
    if (tracked?.exit) return;
    const gone = () => (tracked ? tracked.exit !== null : !isAlive(pid));
    if (!signalGroup(pid, 'SIGTERM')) return;
    if (await this.waitUntil(gone, tracked, this.stopGraceMs)) return;
    if (!signalGroup(pid, 'SIGKILL')) return;
    await this.waitUntil(gone, tracked, 2_000);
  }

  private track(pid: number, child: ChildProcess): void {
    const record: TrackedChild = {
      child,
      exit: null,
      exited: new Promise((resolve) => {
        child.once('exit', (code, signal) => {
          record.exit = { code, signal };
          resolve();
        });
      }),
    };
    // Errors after a successful spawn (a failed kill) must not crash the dispatcher.
    child.on('error', () => {});
    child.unref();
    this.children.set(pid, record);
    if (this.children.size > REMEMBERED_EXITS) this.forgetOldestExited();
  }

  private forgetOldestExited(): void {
    for (const [pid, record] of this.children) {
      if (this.children.size <= REMEMBERED_EXITS) return;
      if (record.exit) this.children.delete(pid);
    }
  }

  private async waitUntil(gone: () => boolean, tracked: TrackedChild | undefined, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!gone()) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      const pause = new Promise((resolve) => setTimeout(resolve, Math.min(left, POLL_MS)));
      await (tracked ? Promise.race([tracked.exited, pause]) : pause);
    }
    return true;
  }
}

function pidOf(workerRef: string): number | null {
  const match = /^pid:(\d+)(?:@.*)?$/.exec(workerRef);
  const pid = match ? Number(match[1]) : NaN;
  // process.kill takes a 32-bit pid; 0 and 1 (the group, init) are never a worker.
  return Number.isInteger(pid) && pid > 1 && pid <= 0x7fffffff ? pid : null;
}

/** Signals the worker's process group (it leads one), or the process alone if it leads none. False when it is gone. */
function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, signal);
      return true;
    } catch (error) {
      if (errorCode(error) !== 'ESRCH') throw error;
    }
  }
  return false;
}
