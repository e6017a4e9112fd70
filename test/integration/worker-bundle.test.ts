/**
 * The worker's bundle (scripts/build-worker.ts), built into a temporary directory: it loads a few
 * files instead of ~200 modules and still only what a job's type and backend need, and real jobs —
 * echo, and claude_chat through the Anthropic SDK against the fake Messages API — run on it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
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

  function loaded(backend: 'embedded' | 'aws', jobType: string): string[] {
    const run = spawnSync(
      process.execPath,
      ['--disable-warning=ExperimentalWarning', join(dir, 'import-time.mjs'), backend, jobType, '--modules'],
      {
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    assert.equal(run.status, 0, run.stderr);
    return (JSON.parse(run.stdout) as { modules: string[] }).modules.filter((url) => !url.startsWith('node:'));
  }

  test('an echo worker loads a few bundle files and nothing from node_modules; each type and backend only its own part', () => {
    const echo = loaded('embedded', 'echo');
    assert.ok(echo.length <= 30, `${echo.length} files`);
    assert.deepEqual(
      echo.filter((url) => !url.startsWith(`file://${dir}/`)),
      [],
      'every module from the bundle',
    );
    const chat = loaded('embedded', 'claude_chat');
    const aws = loaded('aws', 'echo');
    assert.ok(chat.length > echo.length, 'claude_chat adds its handler');
    assert.ok(
      aws.some((url) => url.includes('aws-backend')) && !echo.some((url) => url.includes('aws-backend')),
      'only aws loads the AWS adapters',
    );
    assert.ok(bundle.inputs.includes('services/worker/src/main.ts'));
  });

  test('echo and claude_chat jobs run on it end to end (embedded)', { timeout: 120_000 }, async () => {
    const fake = await startFakeAnthropic({ apiKey: 'sk-bundle' });
    fake.respondWith(() => reply.text('Bundled.'));
    const system = await startSystem('embedded', {
      ANTHROPIC_BASE_URL: fake.url,
      ANTHROPIC_API_KEY: 'sk-bundle',
      AGENT_RUNNER_WORKER_COMMAND: [process.execPath, '--disable-warning=ExperimentalWarning', join(dir, 'main.mjs')].join(','),
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
