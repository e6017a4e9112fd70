/**
 * `npm test`: starts moto's server once (installing it into .venv-moto on the first run), then runs
 * every test file with Node's test runner, pointing AWS-backed tests at the emulator through
 * AGENT_RUNNER_TEST_AWS_ENDPOINT. Extra arguments select files or pass runner flags:
 * `npm test -- test/e2e/x.test.ts`, `npm test -- test/contract`, `npm test -- --test-name-pattern=ack`.
 */
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { motoEndpoint, stopMoto } from './support/moto.ts';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const ALL = ['shared/src/**/*.test.ts', 'services/*/src/**/*.test.ts', 'bin/**/*.test.ts', 'test/**/*.test.ts'];

const args = process.argv.slice(2).map(expandDirectory);
const files = args.filter((a) => !a.startsWith('-'));
const wantsAws = (process.env.AGENT_RUNNER_TEST_BACKENDS ?? 'embedded,aws').includes('aws');
const endpoint = wantsAws ? await motoEndpoint() : null;
if (endpoint) process.stderr.write(`agent-runner tests: moto (AWS emulator) on ${endpoint}\n`);

// Globs are passed as they are: Node's test runner expands them itself.
const child = spawn(
  process.execPath,
  [
    '--disable-warning=ExperimentalWarning',
    '--test',
    '--test-concurrency=1',
    '--test-timeout=600000',
    ...args,
    ...(files.length > 0 ? [] : ALL),
  ],
  { cwd: REPO, stdio: 'inherit', env: { ...process.env, ...(endpoint ? { AGENT_RUNNER_TEST_AWS_ENDPOINT: endpoint } : {}) } },
);
const forward = (signal: NodeJS.Signals) => child.kill(signal);
process.on('SIGINT', forward);
process.on('SIGTERM', forward);
const code = await new Promise<number>((resolve) => child.once('exit', (c, s) => resolve(c ?? (s ? 1 : 0))));
await stopMoto();
process.exit(code);

/** `node --test` takes files and globs, not directories: a directory means every test file under it. */
function expandDirectory(arg: string): string {
  if (arg.startsWith('-')) return arg;
  try {
    if (statSync(arg).isDirectory()) return `${arg.replace(/\/+$/, '')}/**/*.test.ts`;
  } catch {
    // a glob or a file name: the runner resolves it
  }
  return arg;
}
