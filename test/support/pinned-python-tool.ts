import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

/** A Python command the tests need, pinned, in a project-local venv of its own. */
export interface PinnedPythonTool {
  /** The venv's folder name under the repository root, e.g. `.venv-moto`. */
  venv: string;
  /** The pip requirement, pinned: the tool's behaviour is version-specific. */
  requirement: string;
  /** The command the venv's bin/ gains, e.g. `moto_server`. */
  command: string;
}

/** The venv's folder (its bin/python runs scripts that import the tool). */
export function venvOf(tool: PinnedPythonTool): string {
  return join(REPO, tool.venv);
}

/**
 * The tool's command, creating its venv on first use. Each tool has its own venv: their
 * dependencies need not agree. A stamp file records the installed requirement, so changing the
 * pin reinstalls.
 */
export function ensurePythonTool(tool: PinnedPythonTool): string {
  const venv = venvOf(tool);
  const stamp = join(venv, 'agent-runner-installed.txt');
  const bin = join(venv, 'bin', tool.command);
  if (existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === tool.requirement && existsSync(bin)) return bin;
  process.stderr.write(`agent-runner tests: installing ${tool.requirement} into ${tool.venv} (first run only) ...\n`);
  mkdirSync(venv, { recursive: true });
  const python = process.env.AGENT_RUNNER_TEST_PYTHON ?? 'python3';
  run(python, ['-m', 'venv', venv]);
  run(join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', tool.requirement]);
  writeFileSync(stamp, `${tool.requirement}\n`);
  return bin;
}

function run(command: string, args: string[]): void {
  const out = spawnSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (out.status !== 0) throw new Error(`${command} ${args.join(' ')} failed with ${out.status ?? out.signal}`);
}
