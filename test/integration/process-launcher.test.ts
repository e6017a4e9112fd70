import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { createProcessLauncher } from '@agent-runner/shared/adapters/process/process-launcher.ts';
import { loadConfig, type Config } from '@agent-runner/shared/config/config.ts';
import { RetryableError } from '@agent-runner/shared/domain/errors.ts';
import { ulid } from '@agent-runner/shared/domain/ids.ts';
import type { WorkerLauncher, WorkerState } from '@agent-runner/shared/ports/worker-launcher.ts';
import { waitFor } from '../support/wait-for.ts';

const STAND_IN = fileURLToPath(new URL('../support/stand-in-worker.ts', import.meta.url));
const node = (script: string) => [process.execPath, '-e', script];

/** Alive and not a zombie (an orphan's zombie lingers until PID 1 reaps it). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

const pidOf = (workerRef: string) => Number(/^pid:(\d+)$/.exec(workerRef)?.[1]);

async function until(launcher: WorkerLauncher, workerRef: string, state: WorkerState['state']): Promise<WorkerState> {
  return waitFor(
    `${workerRef} ${state}`,
    async () => {
      const s = await launcher.inspect(workerRef);
      return s.state === state ? s : undefined;
    },
    { timeoutMs: 10_000, intervalMs: 20 },
  );
}

describe('process launcher (embedded only)', () => {
  let dir: string;
  let config: Config;
  const started: number[] = [];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'agent-runner-launcher-'));
    config = loadConfig({ AGENT_RUNNER_DATA_DIR: dir, AGENT_RUNNER_HEARTBEAT_SECONDS: '7' });
  });
  afterAll(() => {
    for (const pid of started) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  test('a command that cannot start is a RetryableError and leaves no log behind', async () => {
    const launcher = createProcessLauncher(config, { command: [join(dir, 'no-such-worker')] });
    const jobId = ulid(new Date());
    await assert.rejects(launcher.launch({ jobId, attempt: 1, jobType: 'echo' }), RetryableError);
    assert.equal(existsSync(join(dir, 'logs', `${jobId}-1.log`)), false);
  });

  test('the worker gets the base environment, the config, the launch settings and its job; nothing else of ours', async () => {
    const launcher = createProcessLauncher(config, {
      command: [process.execPath, STAND_IN],
      baseEnv: { PATH: '/usr/bin:/bin', HOME: undefined },
    });
    const jobId = ulid(new Date());
    const { workerRef } = await launcher.launch({ jobId, attempt: 2, jobType: 'echo', env: { STAND_IN_MARK: 'x' } });
    started.push(pidOf(workerRef));
    assert.deepEqual(await until(launcher, workerRef, 'stopped'), { state: 'stopped', exitCode: 0, reason: 'exited with code 0' });
    const printed = JSON.parse(readFileSync(join(dir, 'logs', `${jobId}-2.log`), 'utf8')) as { pid: number; env: Record<string, string> };
    assert.equal(printed.pid, pidOf(workerRef));
    const { env } = printed;
    assert.equal(env.PATH, '/usr/bin:/bin');
    assert.equal(env.HOME, undefined);
    assert.equal(env.AGENT_RUNNER_DATA_DIR, dir);
    assert.equal(env.AGENT_RUNNER_HEARTBEAT_SECONDS, '7');
    assert.equal(env.STAND_IN_MARK, 'x');
    assert.equal(env.JOB_ID, jobId);
    assert.equal(env.JOB_ATTEMPT, '2');
    assert.equal(env.NODE_COMPILE_CACHE, join(dir, 'compile-cache'), "Node's compile cache under the data directory");
    assert.equal(env.AGENT_RUNNER_TEST_BACKENDS, undefined, "the launcher's own environment does not leak");
  });

  test("stdout and stderr are appended to the attempt's log", async () => {
    const launcher = createProcessLauncher(config, { command: node("console.log('to stdout'); console.error('to stderr')") });
    const jobId = ulid(new Date());
    for (let i = 0; i < 2; i++) {
      const { workerRef } = await launcher.launch({ jobId, attempt: 1, jobType: 'echo' });
      await until(launcher, workerRef, 'stopped');
    }
    assert.equal(readFileSync(join(dir, 'logs', `${jobId}-1.log`), 'utf8'), 'to stdout\nto stderr\n'.repeat(2));
  });

  test('another launcher (another dispatcher) sees a live pid as running, stops it, then reports it gone', async () => {
    const first = createProcessLauncher(config, { command: node('setInterval(() => {}, 1000)') });
    const { workerRef } = await first.launch({ jobId: ulid(new Date()), attempt: 1, jobType: 'echo' });
    started.push(pidOf(workerRef));
    const second = createProcessLauncher(config);
    assert.deepEqual(await second.inspect(workerRef), { state: 'running' });
    await second.stop(workerRef, 'test');
    assert.equal(isAlive(pidOf(workerRef)), false);
    assert.deepEqual(await second.inspect(workerRef), { state: 'stopped', exitCode: null, reason: 'process not found' });
    assert.deepEqual(await until(first, workerRef, 'stopped'), { state: 'stopped', exitCode: null, reason: 'killed by SIGTERM' });
  });

  test('stop sends SIGKILL to a worker that ignores SIGTERM, after the grace period', async () => {
    const launcher = createProcessLauncher(config, {
      command: node("process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000)"),
      stopGraceMs: 300,
    });
    const jobId = ulid(new Date());
    const { workerRef } = await launcher.launch({ jobId, attempt: 1, jobType: 'echo' });
    started.push(pidOf(workerRef));
    // Wait until its SIGTERM handler is installed.
    await waitFor('the worker to be ready', () =>
      readFileSync(join(dir, 'logs', `${jobId}-1.log`), 'utf8').includes('ready') ? true : undefined,
    );
    const t0 = Date.now();
    await launcher.stop(workerRef, 'test');
    assert.ok(Date.now() - t0 >= 300, 'waited out the grace period');
    assert.deepEqual(await launcher.inspect(workerRef), { state: 'stopped', exitCode: null, reason: 'killed by SIGKILL' });
  });

  test('stop also ends the processes the worker started (its process group)', async () => {
    const launcher = createProcessLauncher(config, {
      command: node(
        "const c = require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }); console.log(c.pid); setInterval(() => {}, 1000)",
      ),
    });
    const jobId = ulid(new Date());
    const { workerRef } = await launcher.launch({ jobId, attempt: 1, jobType: 'echo' });
    started.push(pidOf(workerRef));
    const grandchild = await waitFor(
      'the grandchild pid',
      () => Number(readFileSync(join(dir, 'logs', `${jobId}-1.log`), 'utf8').trim()) || undefined,
    );
    started.push(grandchild);
    assert.equal(isAlive(grandchild), true);
    await launcher.stop(workerRef, 'test');
    await waitFor('the grandchild to exit', () => (isAlive(grandchild) ? undefined : true), { timeoutMs: 5000, intervalMs: 20 });
  });

  test('a pid that no longer exists is stopped; a ref that is not a pid is unknown', async () => {
    const first = createProcessLauncher(config, { command: node('') });
    const { workerRef } = await first.launch({ jobId: ulid(new Date()), attempt: 1, jobType: 'echo' });
    await until(first, workerRef, 'stopped');
    const launcher = createProcessLauncher(config);
    assert.deepEqual(await launcher.inspect(workerRef), { state: 'stopped', exitCode: null, reason: 'process not found' });
    assert.deepEqual(await launcher.inspect('pid:99999999'), { state: 'stopped', exitCode: null, reason: 'process not found' });
    assert.deepEqual(await launcher.inspect('arn:aws:ecs:eu-west-1:1:task/x'), { state: 'unknown' });
    assert.deepEqual(await launcher.inspect('pid:4194303999'), { state: 'unknown' });
    await launcher.stop(workerRef, 'nothing there');
  });
});
