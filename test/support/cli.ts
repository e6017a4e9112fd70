import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
/** The program the tests run as `agent-runner`: the root package's bin. */
const CLI_ENTRY = 'bin/agent-runner.ts';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Written to the command's stdin, which is then closed. */
  stdin?: string;
  /** The command is killed after this long (the test then fails on its exit code). Default 60 000 ms. */
  timeoutMs?: number;
  /** Called with each stderr chunk as it arrives (to see a progress line before the command ends). */
  onStderr?: (chunk: string) => void;
}

/**
 * Runs `agent-runner <args>` as a real child process with only the given environment (plus PATH
 * and HOME), so nothing from the test's own environment — AGENT_RUNNER_API_URL — leaks in.
 */
export function runCli(args: string[], env: Record<string, string> = {}, options: CliOptions = {}): Promise<CliResult> {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', CLI_ENTRY, ...args], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
    options.onStderr?.(c);
  });
  child.stdin.end(options.stdin ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
