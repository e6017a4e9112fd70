/**
 * The worker's bundle (scripts/build-worker.ts), built into a temporary directory: a worker loads
 * one file instead of ~200 modules, and real jobs — echo, and claude_chat through the Anthropic SDK
 * against the fake Messages API — run on it. (That it runs only what a job's type and backend need
 * is held of the sources by worker-startup.test.ts; the bundle keeps every lazy import lazy.)
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { WORKER_NODE_ARGS } from '@agent-runner/shared/runtime/worker-node-args.ts';
import { buildWorker, type WorkerBundle } from '../../scripts/build-worker.ts';
import { postJob, waitUntilTerminal } from '../support/api-client.ts';
import { reply, startFakeAnthropic } from '../support/fake-anthropic.ts';
import { startSystem } from '../support/system.ts';

describe('the bundled worker', () => {
  let dir: string;
  let bundle: WorkerBundle;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'agent-runner-worker-bundle-test-'));
    bundle = await buildWorker(dir);
  }, 60_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** One compile cache for the probes, as a machine's workers share one: only the first compiles. */
  const cache = () => join(dir, 'compile-cache');

  function loaded(backend: 'embedded' | 'aws', jobType: string): string[] {
    const run = spawnSync(process.execPath, [...WORKER_NODE_ARGS, join(dir, 'import-time.mjs'), backend, jobType, '--modules'], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, NODE_COMPILE_CACHE: cache() },
    });
    assert.equal(run.status, 0, run.stderr);
    const { modules } = JSON.parse(run.stdout) as { modules: string[] };
    assert.ok(
      modules.some((url) => url.startsWith('node:')),
      'the probe sees the builtins it loads',
    );
    return modules.filter((url) => !url.startsWith('node:'));
  }

  test('a worker loads one file of the bundle and nothing from node_modules, whatever its job', () => {
    assert.deepEqual(bundle.files.sort(), ['import-time.mjs', 'main.mjs']);
    for (const [backend, jobType] of [
      ['embedded', 'echo'],
      ['embedded', 'claude_chat'],
      ['aws', 'echo'],
    ] as const) {
      // The probe's hook sees every module loaded after its own file: none but Node's builtins.
      assert.deepEqual(loaded(backend, jobType), [], `${backend}, ${jobType}`);
    }
    assert.ok(bundle.inputs.includes('services/worker/src/main.ts'));
  });

  test('echo and claude_chat jobs run on it end to end (embedded)', { timeout: 120_000 }, async () => {
    const fake = await startFakeAnthropic({ apiKey: 'sk-bundle' });
    fake.respondWith(() => reply.text('Bundled.'));
    const system = await startSystem('embedded', {
      ANTHROPIC_BASE_URL: fake.url,
      ANTHROPIC_API_KEY: 'sk-bundle',
      AGENT_RUNNER_WORKER_COMMAND: [process.execPath, ...WORKER_NODE_ARGS, join(dir, 'main.mjs')].join(','),
    });
    try {
      system.startDispatcher();
      const echo = await postJob(system.url, { job_type: 'echo', payload: { message: 'from the bundle' } });
      const chat = await postJob(system.url, { job_type: 'claude_chat', payload: { prompt: 'Say so.' } });
      const [echoDone, chatDone] = await waitUntilTerminal(system.url, [echo.job_id, chat.job_id], 60_000);
      assert.ok(echoDone && chatDone);
      assert.equal(echoDone.status, 'SUCCEEDED', JSON.stringify(echoDone.error));
      assert.equal((echoDone.result as { echoed_message: string }).echoed_message, 'from the bundle');
      assert.equal(chatDone.status, 'SUCCEEDED', JSON.stringify(chatDone.error));
      assert.equal((chatDone.result as { response: string }).response, 'Bundled.');
    } finally {
      await system.stop();
      await fake.close();
    }
  });
});
