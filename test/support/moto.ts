import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.ts';
import { ensurePythonTool, type PinnedPythonTool, venvOf } from './pinned-python-tool.ts';

/**
 * moto's version is pinned: its behaviour, and the moto internals test/support/moto-server.py patches
 * (guarded by test/integration/aws/emulator-fidelity.test.ts), are version-specific.
 */
export const MOTO_REQUIREMENT = 'moto[server]==5.2.5';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const MOTO: PinnedPythonTool = { venv: '.venv-moto', requirement: MOTO_REQUIREMENT, command: 'moto_server' };
const VENV = venvOf(MOTO);
const SERVER = join(REPO, 'test', 'support', 'moto-server.py');

let started: { url: string; child: ChildProcess } | null = null;

/**
 * The emulator's endpoint: AGENT_RUNNER_TEST_AWS_ENDPOINT when the test runner already started one
 * (test/support/global-setup.ts does, once per run), else a moto server started here for this process.
 */
export async function motoEndpoint(): Promise<string> {
  const given = process.env.AGENT_RUNNER_TEST_AWS_ENDPOINT;
  if (given) return given;
  if (started) return started.url;
  const { url, child } = await startMoto();
  started = { url, child };
  process.once('exit', () => child.kill('SIGKILL'));
  return url;
}

export async function stopMoto(): Promise<void> {
  if (!started) return;
  const { child } = started;
  started = null;
  await stopChild(child);
}

/** Creates the project-local venv with the pinned moto when it is missing (first run only). */
export function ensureMotoInstalled(): string {
  return ensurePythonTool(MOTO);
}

/** Starts moto's server on a free loopback port and waits until it answers. */
export async function startMoto(): Promise<{ url: string; child: ChildProcess }> {
  ensureMotoInstalled();
  const port = await freePort();
  // moto's own server, with each DynamoDB request made atomic as on AWS (see moto-server.py).
  const child = spawn(join(VENV, 'bin', 'python'), [SERVER, '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode}: ${stderr}`);
    try {
      const res = await fetch(`${url}/moto-api/`);
      if (res.ok || res.status < 500) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`moto_server did not answer within 30 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  // moto advances an ECS task one state per DescribeTasks call (RUNNING → … → STOPPED after 4) and
  // a reaper polling it would think every job's worker ended. Tasks stay RUNNING until StopTask.
  const pin = await fetch(`${url}/moto-api/state-manager/set-transition`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model_name: 'ecs::task', transition: { progression: 'manual', times: 1_000_000_000 } }),
  });
  if (!pin.ok) throw new Error(`could not pin moto's ECS task transitions: ${pin.status} ${await pin.text()}`);
  return { url, child };
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

// `node test/support/moto.ts --install`: only create the venv (.ci/run does it while `npm ci` runs).
if (import.meta.main && process.argv.includes('--install')) ensureMotoInstalled();
