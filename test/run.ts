/**
 * `npm test`: starts moto's server once (installing it into .venv-moto on the first run), then runs
 * every test file with Node's test runner, pointing AWS-backed tests at the emulator through
 * AGENT_RUNNER_TEST_AWS_ENDPOINT. Extra arguments select files: `npm test -- test/e2e/x.test.ts`.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startMoto, stopChild } from './support/moto.ts';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const ALL = ['shared/src/**/*.test.ts', 'services/*/src/**/*.test.ts', 'bin/**/*.test.ts', 'test/**/*.test.ts'];

const selected = process.argv.slice(2);
const wantsAws = (process.env.AGENT_RUNNER_TEST_BACKENDS ?? 'embedded,aws').includes('aws');
const moto = wantsAws && !process.env.AGENT_RUNNER_TEST_AWS_ENDPOINT ? await startMoto() : null;
if (moto) process.stderr.write(`agent-runner tests: moto (AWS emulator) on ${moto.url}\n`);

const child = spawn(
  process.execPath,
  ['--disable-warning=ExperimentalWarning', '--test', '--test-concurrency=1', '--test-timeout=600000', ...(selected.length > 0 ? selected : ALL)],
  {
    cwd: REPO,
    stdio: 'inherit',
    env: { ...process.env, ...(moto ? { AGENT_RUNNER_TEST_AWS_ENDPOINT: moto.url } : {}) },
  },
);
const forward = (signal: NodeJS.Signals) => child.kill(signal);
process.on('SIGINT', forward);
process.on('SIGTERM', forward);
const code = await new Promise<number>((resolve) => child.once('exit', (c, s) => resolve(c ?? (s ? 1 : 0))));
if (moto) await stopChild(moto.child);
process.exit(code);
