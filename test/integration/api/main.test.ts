import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'vitest';

const MAIN = join(import.meta.dirname, '../../../services/api/src/main.ts');

/** `node services/api/src/main.ts` as a real process, with only the environment given. */
function runApi(env: Record<string, string>) {
  const child = spawn(process.execPath, [MAIN], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

function withDeadline<T>(what: string, promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

test('run directly, the API serves on the configured port and stops cleanly on SIGTERM', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'agent-runner-api-main-'));
  const api = runApi({ AGENT_RUNNER_DATA_DIR: dataDir, AGENT_RUNNER_PORT: '0' });
  try {
    const lines = createInterface({ input: api.child.stdout });
    const url = await withDeadline(
      'the "api listening" log line',
      new Promise<string>((resolve) => {
        lines.on('line', (line) => {
          const entry = JSON.parse(line) as { msg?: string; url?: string };
          if (entry.msg === 'api listening' && entry.url) resolve(entry.url);
        });
      }),
      15_000,
    );
    const res = await fetch(`${url}/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"job_type":"echo","payload":{"message":"hi"}}',
    });
    assert.equal(res.status, 202);
    api.child.kill('SIGTERM');
    assert.equal(await withDeadline('exit after SIGTERM', api.exited, 15_000), 0, api.stderr());
  } finally {
    api.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('run directly with a bad configuration, it names the problem and exits 2 (configuration error, like every agent-runner command)', async () => {
  const api = runApi({ AGENT_RUNNER_PORT: 'eighty' });
  assert.equal(await withDeadline('exit', api.exited, 15_000), 2);
  assert.match(api.stderr(), /AGENT_RUNNER_PORT/);
  assert.match(api.stderr(), /eighty/);
});
