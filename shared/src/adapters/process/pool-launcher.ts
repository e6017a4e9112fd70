import { fork, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../config/config.ts';
import { FatalError, RetryableError, describeError } from '../../domain/errors.ts';
import type { LaunchRequest, LaunchedWorker, WorkerLauncher, WorkerState } from '../../ports/worker-launcher.ts';
import { isFromPoolWorker, type FromPoolWorker, type ToPoolWorker } from './pool-messages.ts';
import { isAlive } from './process-liveness.ts';

/** The pool worker's entry, found from this file so it works from any working directory. */
const POOL_ENTRY = fileURLToPath(new URL('../../../../services/worker/src/pool-main.ts', import.meta.url));
/** How many exited pool workers are remembered for `inspect` (the reaper asks soon after an exit). */
const REMEMBERED_EXITS = 1_000;

export interface PoolLauncherOptions {
  /** The environment every pool worker starts from (PATH, HOME …); the config's variables go on top. */
  baseEnv?: Record<string, string | undefined>;
  /** The pool worker's entry module. Default: this repo's `services/worker/src/pool-main.ts`. */
  entry?: string;
  /** How long `stop` waits for the job to stop before it kills the worker process. Default 5000 ms. */
  stopGraceMs?: number;
  /** How long a launch waits for a worker to become free when the pool is at its maximum. Default: half the claim timeout. */
  handOffWaitMs?: number;
}

interface PoolWorker {
  pid: number;
  child: ChildProcess;
  state: 'starting' | 'idle' | 'busy' | 'leaving' | 'exited';
  /** The attempt handed to it and not yet reported done. */
  job: { jobId: string; attempt: number } | null;
  exit: { code: number | null; signal: NodeJS.Signals | null } | null;
  exited: Promise<void>;
}

/** Whether the worker's IPC channel keeps this process's event loop alive (while it starts or runs a job). */
function holdOpen(worker: PoolWorker, hold: boolean): void {
  const channel = worker.child.channel;
  if (!channel) return;
  if (hold) channel.ref();
  else channel.unref();
}

/** `pool:<pid>:<jobId>:<attempt>`: the process (so the reaper can find it gone) and the attempt it was handed. */
export function poolWorkerRef(pid: number, jobId: string, attempt: number): string {
  return `pool:${pid}:${jobId}:${attempt}`;
}

export function parsePoolWorkerRef(workerRef: string): { pid: number; jobId: string; attempt: number } | null {
  const match = /^pool:(\d+):([A-Za-z0-9_-]+):(\d+)$/.exec(workerRef);
  if (!match) return null;
  const pid = Number(match[1]);
  if (!Number.isInteger(pid) || pid <= 1 || pid > 0x7fffffff) return null;
  return { pid, jobId: match[2]!, attempt: Number(match[3]) };
}

export function createPoolLauncher(config: Config, options: PoolLauncherOptions = {}): PoolLauncher {
  return new PoolLauncher(config, options);
}

/**
 * A warm pool of worker processes (`fork`, node IPC), each running the attempts it is handed one at
 * a time (services/worker/src/pool-main.ts). The dispatcher decides what runs and when exactly as
 * for one-shot workers; `launch` only hands the claimed attempt to an idle worker instead of
 * spawning one. The worker ref names the process and the attempt: the attempt is `running` while
 * that process is alive and has not reported it done; once the process exits or reports done
 * without the attempt's last write, it is `stopped`, and the reaper retries it as a lost worker's.
 *
 * A job never runs twice at once: a worker takes a job only when idle, and the attempt's start is
 * the same conditional write (DISPATCHED → RUNNING for this attempt) a one-shot worker makes, so a
 * hand-off to a worker that dies at once leaves the attempt DISPATCHED for the reaper, and a
 * retried attempt can never be started by the old one.
 *
 * Workers run in their own process group, as one-shot workers do: a Ctrl-C aimed at the
 * dispatcher does not stop the jobs it handed out. When the dispatcher goes, each worker finishes
 * its job and exits (its IPC channel closed).
 */
export class PoolLauncher implements WorkerLauncher {
  private readonly config: Config;
  private readonly env: Record<string, string>;
  private readonly entry: string;
  private readonly stopGraceMs: number;
  private readonly handOffWaitMs: number;
  /** Live workers by pid, and recently exited ones (for `inspect`). */
  private readonly workers = new Map<number, PoolWorker>();
  /** Launches waiting for a worker to become free, oldest first. */
  private readonly waiting: ((worker: PoolWorker) => void)[] = [];
  private closed = false;
  private logSeq = 0;
  /** Forks under way, counted in `size` so concurrent launches do not start more than the maximum. */
  private spawning = 0;

  constructor(config: Config, options: PoolLauncherOptions) {
    this.config = config;
    const baseEnv = Object.fromEntries(
      Object.entries(options.baseEnv ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined),
    );
    this.env = {
      // Only the first pool worker compiles the modules; as with one-shot workers.
      NODE_COMPILE_CACHE: resolve(config.dataDir, 'compile-cache'),
      ...baseEnv,
      ...config.env,
      // The setting the reaper judges workers by: the same on both sides, as one-shot launches carry it.
      AGENT_RUNNER_HEARTBEAT_SECONDS: String(config.dispatch.heartbeatSeconds),
    };
    this.entry = options.entry ?? POOL_ENTRY;
    this.stopGraceMs = options.stopGraceMs ?? 5_000;
    this.handOffWaitMs = options.handOffWaitMs ?? (config.dispatch.claimTimeoutSeconds * 1000) / 2;
  }

  /** Live workers (starting, idle or busy; not those leaving). */
  get size(): number {
    let n = this.spawning;
    for (const w of this.workers.values()) if (w.state === 'starting' || w.state === 'idle' || w.state === 'busy') n++;
    return n;
  }

  /** The pids of live workers, for tests and the operator's eye. */
  pids(): number[] {
    return [...this.workers.values()].filter((w) => w.state !== 'exited').map((w) => w.pid);
  }

  async warm(): Promise<void> {
    const missing = this.closed ? 0 : this.config.pool.min - this.size;
    await Promise.all(Array.from({ length: Math.max(0, missing) }, () => this.spawnWorker().catch(() => {})));
  }

  async launch(request: LaunchRequest): Promise<LaunchedWorker> {
    if (this.closed) throw new RetryableError('the worker pool is closed');
    if (!/^[A-Za-z0-9_-]+$/.test(request.jobId)) throw new FatalError(`job id "${request.jobId}" cannot name a pool worker ref`);
    const worker = await this.idleWorker();
    worker.state = 'busy';
    worker.job = { jobId: request.jobId, attempt: request.attempt };
    holdOpen(worker, true);
    try {
      await this.send(worker, { type: 'run', jobId: request.jobId, attempt: request.attempt });
    } catch (error) {
      // Not handed over: the attempt is not recorded as launched, so it is retried as a failed
      // launch. The worker cannot be trusted with another job.
      worker.job = null;
      this.kill(worker);
      throw new RetryableError(`could not hand the job to pool worker ${worker.pid}: ${describeError(error)}`, { cause: error });
    }
    return { workerRef: poolWorkerRef(worker.pid, request.jobId, request.attempt) };
  }

  async inspect(workerRef: string): Promise<WorkerState> {
    const ref = parsePoolWorkerRef(workerRef);
    if (!ref) return { state: 'unknown' };
    const worker = this.workers.get(ref.pid);
    if (!worker) {
      // Another dispatcher's pool (or one before a restart): only whether the process lives is knowable.
      return isAlive(ref.pid) ? { state: 'running' } : { state: 'stopped', exitCode: null, reason: 'pool worker process not found' };
    }
    if (worker.exit) {
      const { code, signal } = worker.exit;
      return {
        state: 'stopped',
        exitCode: code,
        reason: signal ? `pool worker killed by ${signal}` : `pool worker exited with code ${code}`,
      };
    }
    if (worker.job?.jobId === ref.jobId && worker.job.attempt === ref.attempt) return { state: 'running' };
    return { state: 'stopped', exitCode: null, reason: `pool worker ${ref.pid} is no longer running this attempt` };
  }

  async inspectAll(workerRefs: readonly string[]): Promise<Map<string, WorkerState>> {
    return new Map(await Promise.all(workerRefs.map(async (ref) => [ref, await this.inspect(ref)] as const)));
  }

  /**
   * Stops the attempt, not the process: the worker aborts the job's handler (as a one-shot worker
   * does on SIGTERM: it records what was spent and, cancelled, releases the job's slots), reports
   * done, then retires, since the aborted handler may still be running. Should the job not stop
   * within the grace period, the process is killed.
   */
  async stop(workerRef: string, _reason: string): Promise<void> {
    const ref = parsePoolWorkerRef(workerRef);
    if (!ref) return;
    const worker = this.workers.get(ref.pid);
    // Another dispatcher's worker: which job it runs now is not knowable from here, so it is left
    // alone; the attempt's own heartbeat sees a cancellation or a takeover and stops it.
    if (!worker || worker.exit) return;
    const runsIt = () => worker.exit === null && worker.job?.jobId === ref.jobId && worker.job.attempt === ref.attempt;
    if (!runsIt()) return;
    await this.send(worker, { type: 'stop', jobId: ref.jobId, attempt: ref.attempt }).catch(() => {});
    if (await this.waitUntil(() => !runsIt(), this.stopGraceMs)) return;
    this.kill(worker);
    await this.waitUntil(() => worker.exit !== null, 2_000);
  }

  /** Idle workers exit now, busy ones after their job; waits for them a little while. */
  async close(): Promise<void> {
    this.closed = true;
    const live = [...this.workers.values()].filter((w) => !w.exit);
    for (const worker of live) {
      if (worker.state !== 'busy') worker.state = 'leaving';
      await this.send(worker, { type: 'exit' }).catch(() => {});
    }
    await Promise.race([Promise.all(live.map((w) => w.exited)), new Promise((r) => setTimeout(r, 5_000))]);
  }

  /** An idle worker, or a new one while below the maximum, or the first to become free. */
  private async idleWorker(): Promise<PoolWorker> {
    for (const worker of this.workers.values()) if (worker.state === 'idle') return worker;
    if (this.size < this.config.pool.max) {
      // Not handed to the waiting queue: the launch that started it takes it.
      return await this.spawnWorker(true);
    }
    return await new Promise<PoolWorker>((resolve, reject) => {
      const take = (worker: PoolWorker) => {
        clearTimeout(timer);
        resolve(worker);
      };
      const timer = setTimeout(() => {
        const at = this.waiting.indexOf(take);
        if (at >= 0) this.waiting.splice(at, 1);
        reject(new RetryableError(`every pool worker (${this.config.pool.max}) stayed busy for ${this.handOffWaitMs} ms`));
      }, this.handOffWaitMs);
      this.waiting.push(take);
    });
  }

  /** A worker became idle: the oldest waiting launch takes it. */
  private becameIdle(worker: PoolWorker): void {
    worker.state = 'idle';
    const waiter = this.waiting.shift();
    if (waiter) {
      worker.state = 'busy';
      waiter(worker);
    }
    holdOpen(worker, worker.state === 'busy');
  }

  /**
   * Forks a worker and waits for it to be ready. `forLaunch`: the caller takes it (it is returned
   * busy-to-be); otherwise it joins the pool idle.
   */
  private async spawnWorker(forLaunch = false): Promise<PoolWorker> {
    const logDir = join(this.config.dataDir, 'logs');
    let log: number | null = null;
    let child: ChildProcess;
    this.spawning++;
    try {
      mkdirSync(logDir, { recursive: true });
      log = openSync(join(logDir, `pool-worker-${process.pid}-${++this.logSeq}.log`), 'a');
      child = fork(this.entry, [], {
        env: this.env,
        execArgv: ['--disable-warning=ExperimentalWarning'],
        stdio: ['ignore', log, log, 'ipc'],
        detached: true,
        serialization: 'json',
      });
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
    } catch (error) {
      throw new RetryableError(`could not start a pool worker: ${describeError(error)}`, { cause: error });
    } finally {
      this.spawning--;
      if (log !== null) closeSync(log);
    }
    const pid = child.pid!;
    let markExited: () => void = () => {};
    const worker: PoolWorker = {
      pid,
      child,
      state: 'starting',
      job: null,
      exit: null,
      exited: new Promise((resolve) => {
        markExited = resolve;
      }),
    };
    this.workers.set(pid, worker);
    const ready = new Promise<void>((resolve, reject) => {
      child.on('message', (message: unknown) => {
        if (!isFromPoolWorker(message)) return;
        if (message.type === 'ready') resolve();
        else this.onDone(worker, message);
      });
      child.once('exit', (code, signal) => {
        reject(new RetryableError(`pool worker ${pid} exited before it was ready (${signal ?? `code ${code}`})`));
      });
    });
    child.once('exit', (code, signal) => {
      worker.exit = { code, signal };
      worker.state = 'exited';
      markExited();
      this.forgetOldExits();
      // Keep the minimum warm (not while closing).
      void this.warm();
    });
    child.on('error', () => {}); // a failed send or kill after spawn must not crash the dispatcher
    // Not waited on (as one-shot workers are not); its channel holds this process only while it
    // starts or runs a job (see holdOpen), so an idle pool never keeps a finished process alive.
    child.unref();
    try {
      await ready;
    } catch (error) {
      throw error instanceof RetryableError ? error : new RetryableError(describeError(error));
    }
    if (forLaunch) return worker;
    this.becameIdle(worker);
    return worker;
  }

  private onDone(worker: PoolWorker, message: Extract<FromPoolWorker, { type: 'done' }>): void {
    if (worker.job?.jobId === message.jobId && worker.job.attempt === message.attempt) worker.job = null;
    if (worker.exit) return;
    holdOpen(worker, false);
    if (message.retiring || this.closed) {
      worker.state = 'leaving';
      // Replace it at once if the pool is now below its minimum (its exit would too, a moment later).
      void this.warm();
      return;
    }
    this.becameIdle(worker);
  }

  private send(worker: PoolWorker, message: ToPoolWorker): Promise<void> {
    return new Promise((resolve, reject) => {
      if (!worker.child.connected) return reject(new Error(`pool worker ${worker.pid} is not connected`));
      worker.child.send(message, (error) => (error ? reject(error) : resolve()));
    });
  }

  private kill(worker: PoolWorker): void {
    worker.state = worker.exit ? 'exited' : 'leaving';
    for (const target of [-worker.pid, worker.pid]) {
      try {
        process.kill(target, 'SIGKILL');
        return;
      } catch {
        // not a group leader, or gone already
      }
    }
  }

  private async waitUntil(done: () => boolean, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!done()) {
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
    return true;
  }

  private forgetOldExits(): void {
    let exited = 0;
    for (const worker of this.workers.values()) if (worker.exit) exited++;
    for (const [pid, worker] of this.workers) {
      if (exited <= REMEMBERED_EXITS) return;
      if (worker.exit) {
        this.workers.delete(pid);
        exited--;
      }
    }
  }
}
