import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'vitest';

/**
 * A worker is one process per job, so what it loads before running its handler is paid on every
 * job. The Anthropic SDK (about 300 modules) is for the Claude handlers alone: it is imported when
 * a job opens a Claude session, not when the worker (or the API) starts.
 */
test('importing the worker or the API loads no Anthropic SDK module; opening a Claude session does', () => {
  const probe = `
    import { registerHooks } from 'node:module';
    const loaded = [];
    registerHooks({ load(url, context, next) { loaded.push(url); return next(url, context); } });
    const sdk = () => loaded.filter((url) => url.includes('/node_modules/@anthropic-ai/sdk/')).length;
    await import('./services/worker/src/main.ts');
    await import('./services/api/src/main.ts');
    const atStart = sdk();
    await import('./services/worker/src/anthropic/claude-session.ts');
    console.log(JSON.stringify({ atStart, withSession: sdk() }));
  `;
  const run = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', '--input-type=module', '-e', probe], {
    cwd: new URL('../..', import.meta.url),
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(run.status, 0, run.stderr);
  const { atStart, withSession } = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { atStart: number; withSession: number };
  assert.equal(atStart, 0, 'SDK modules loaded by importing the worker and the API');
  assert.ok(withSession > 100, `the session loads the SDK (${withSession} modules), so the probe can see it`);
});

/** The API learns job types and payload schemas from shared/src/job-types: it loads no worker module at all. */
test('importing the API loads no module of the worker', () => {
  const probe = `
    import { registerHooks } from 'node:module';
    const loaded = [];
    registerHooks({ load(url, context, next) { loaded.push(url); return next(url, context); } });
    await import('./services/api/src/main.ts');
    console.log(JSON.stringify({ worker: loaded.filter((url) => url.includes('/services/worker/')), shared: loaded.filter((url) => url.includes('/shared/src/job-types/')).length }));
  `;
  const run = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', '--input-type=module', '-e', probe], {
    cwd: new URL('../..', import.meta.url),
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(run.status, 0, run.stderr);
  const { worker, shared } = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { worker: string[]; shared: number };
  assert.deepEqual(worker, []);
  assert.ok(shared > 0, 'the API loads the job-type catalogue, so the probe sees what it loads');
});

/** The modules services/worker/src/import-time.ts saw a fresh worker load for a job of `jobType` on `backend`. */
function workerModules(backend: 'embedded' | 'aws', jobType: string): string[] {
  const run = spawnSync(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', 'services/worker/src/import-time.ts', backend, jobType, '--modules'],
    { cwd: new URL('../..', import.meta.url), encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(run.status, 0, run.stderr);
  return (JSON.parse(run.stdout) as { modules: string[] }).modules;
}

/**
 * A one-shot worker pays its imports on every job (README "Benchmarks"), so it loads what its job's
 * type and its backend need: an echo job on the embedded backend loads no AWS SDK, no Anthropic SDK
 * and no other type's handler; a claude_chat job loads its own handler (and the SDK once it opens
 * a session), which shows the probe sees handlers at all.
 */
test('a worker for an echo job on the embedded backend loads no AWS or Anthropic module and no other handler', () => {
  const echo = workerModules('embedded', 'echo');
  const worker = (list: string[]) =>
    list.filter((url) => url.includes('/services/worker/src/')).map((url) => url.replace(/^.*\/services\/worker\/src\//, ''));
  assert.deepEqual(
    echo.filter((url) => /\/node_modules\/(@aws-sdk|@smithy|@anthropic-ai)\//.test(url)),
    [],
  );
  const handlers = worker(echo).filter((file) => file.startsWith('handlers/') || file.startsWith('anthropic/'));
  assert.deepEqual(handlers.sort(), [
    'anthropic/attempt-usage.ts',
    'handlers/agent-budget.ts',
    'handlers/echo.ts',
    'handlers/job-handler.ts',
    'handlers/registry.ts',
    'handlers/sleep-for.ts',
  ]);
  assert.ok(!worker(echo).includes('child-jobs.ts'), 'child jobs are loaded by the first submit_job, not at start');
  assert.deepEqual(
    echo
      .filter((url) => url.includes('/shared/src/job-types/'))
      .map((url) => url.replace(/^.*\/job-types\//, ''))
      .sort(),
    ['echo.ts', 'job-type.ts'],
    "an echo worker builds echo's payload schema, not the whole catalogue's",
  );
  assert.ok(!echo.includes('node:child_process'), 'a worker launches nothing: the process launcher is loaded by its first use');
  assert.ok(worker(workerModules('embedded', 'claude_chat')).includes('handlers/claude-chat.ts'));
});

/** On AWS a worker loads the clients its job uses: DynamoDB and S3 for every job; SQS, ECS and Secrets Manager on first use. */
test('a worker for an echo job on the aws backend loads the DynamoDB and S3 clients only', () => {
  const packages = new Set(
    workerModules('aws', 'echo')
      .map((url) => /\/node_modules\/(@aws-sdk\/client-[^/]+)\//.exec(url)?.[1])
      .filter((name) => name !== undefined),
  );
  assert.deepEqual([...packages].sort(), ['@aws-sdk/client-dynamodb', '@aws-sdk/client-s3']);
});
