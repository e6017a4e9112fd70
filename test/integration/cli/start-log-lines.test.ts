/**
 * `agent-runner start` runs the API and the dispatcher in one process, on one log stream. Each line
 * must name its service once: a duplicate key (`{"service":"agent-runner","service":"api"}`) is valid
 * JSON that tools read differently — JSON.parse keeps the last, others keep the first or refuse it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, test } from 'vitest';
import { waitFor } from '../../support/wait-for.ts';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'agent-runner-start-logs-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

test('agent-runner start: each service logs JSON lines with exactly one service key, its own', async () => {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', 'bin/agent-runner.ts', 'start'], {
    cwd: REPO,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      AGENT_RUNNER_DATA_DIR: dataDir,
      AGENT_RUNNER_PORT: '0',
      AGENT_RUNNER_DISPATCHER_PORT: '0',
      AGENT_RUNNER_LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const lineOf = (msg: string) => stdout.split('\n').find((line) => line.includes(`"msg":"${msg}"`));
    const lines = await waitFor('the API and the dispatcher to log that they started', () => {
      if (child.exitCode !== null) throw new Error(`agent-runner start exited with ${child.exitCode}: ${stderr}`);
      const api = lineOf('api listening');
      const dispatcher = lineOf('dispatcher started');
      return api && dispatcher ? { api, dispatcher } : undefined;
    });

    for (const [service, line] of Object.entries(lines)) {
      // JSON.parse would hide a duplicate (the last one wins), so the keys are counted in the text.
      assert.equal(line.match(/"service":/g)?.length, 1, `one service key in ${line}`);
      assert.equal((JSON.parse(line) as { service?: unknown }).service, service, line);
    }
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0, `agent-runner start stops cleanly on SIGTERM: ${stderr}`);
});
