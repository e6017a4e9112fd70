import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Pinned like moto: each release adds rules and refreshes the resource specs it checks against. */
export const CFN_LINT_REQUIREMENT = 'cfn-lint==1.58.0';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const VENV = join(REPO, '.venv-cfn-lint');
const STAMP = join(VENV, 'agent-runner-installed.txt');

/**
 * The `cfn-lint` command from a project-local venv with the pinned version, created on first use
 * (its own venv: its dependencies and moto's need not agree).
 */
export function ensureCfnLintInstalled(): string {
  const bin = join(VENV, 'bin', 'cfn-lint');
  if (existsSync(STAMP) && readFileSync(STAMP, 'utf8').trim() === CFN_LINT_REQUIREMENT && existsSync(bin)) return bin;
  process.stderr.write(`agent-runner tests: installing ${CFN_LINT_REQUIREMENT} into .venv-cfn-lint (first run only) ...\n`);
  mkdirSync(VENV, { recursive: true });
  const python = process.env.AGENT_RUNNER_TEST_PYTHON ?? 'python3';
  run(python, ['-m', 'venv', VENV]);
  run(join(VENV, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', CFN_LINT_REQUIREMENT]);
  writeFileSync(STAMP, `${CFN_LINT_REQUIREMENT}\n`);
  return bin;
}

function run(command: string, args: string[]): void {
  const out = spawnSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (out.status !== 0) throw new Error(`${command} ${args.join(' ')} failed with ${out.status ?? out.signal}`);
}

// `node test/support/cfn-lint.ts --install`: only create the venv (.ci/run does it while `npm ci` runs).
if (import.meta.main && process.argv.includes('--install')) ensureCfnLintInstalled();
