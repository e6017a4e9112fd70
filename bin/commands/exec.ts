import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { awsCliExecLine, execTargetOf, startExecSession } from '@agent-runner/shared/adapters/aws/ecs-exec-session.ts';
import { CLIENT_OPTIONS_USAGE, EXIT, clientFor, parseCommandArgs, runClientCommand } from '../client/client-command.ts';

export const summary = "open a shell in a running job's ECS task (ECS Exec)";
export const usage = `usage: agent-runner exec JOB_ID [--command CMD] [--container NAME] [--api URL] [--api-key KEY]

Opens an interactive ECS Exec session in the task running the job's current attempt (aws backend,
workers launched with AGENT_RUNNER_ECS_EXEC=true), with the AWS credentials of this shell. The
terminal is attached by AWS's session-manager-plugin, as \`aws ecs execute-command\` does; without
it on PATH, prints how to install it and the equivalent aws command, and exits 1.

      --command CMD      what to run in the container (default /bin/sh)
      --container NAME   the worker's container (default worker)
${CLIENT_OPTIONS_USAGE}`;

const OPTIONS = {
  command: { type: 'string', default: '/bin/sh' },
  container: { type: 'string', default: 'worker' },
} as const;

const PLUGIN = 'session-manager-plugin';
const PLUGIN_HELP = 'https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html';

export function run(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  return runClientCommand('exec', usage, async () => {
    const { values, positionals } = parseCommandArgs(argv, OPTIONS, { names: ['JOB_ID'] });
    const job = await clientFor(values.api, env, values['api-key']).getJob(positionals[0]!);
    const attempt = job.attempts.find((a) => a.number === job.attempt);
    if (job.status !== 'RUNNING' || !attempt?.worker_ref) {
      process.stderr.write(`job ${job.job_id} is ${job.status}: only a RUNNING job has a task to open\n`);
      return EXIT.failed;
    }
    const target = execTargetOf(attempt.worker_ref);
    if (!target) {
      process.stderr.write(
        `job ${job.job_id} runs in ${attempt.worker_ref}, not an ECS task: ECS Exec needs the aws backend's ECS launcher\n`,
      );
      return EXIT.failed;
    }
    const command = values.command;
    const container = values.container;
    const plugin = findOnPath(PLUGIN, env.PATH ?? '');
    if (!plugin) {
      process.stderr.write(
        `${PLUGIN} is not on PATH: it attaches this terminal to the ECS Exec session.\n` +
          `Install it (${PLUGIN_HELP}), then run this again, or run the same with the AWS CLI:\n\n` +
          `  ${awsCliExecLine(target, container, command)}\n`,
      );
      return EXIT.failed;
    }
    const invocation = await startExecSession(target, container, command, env.AWS_ENDPOINT_URL || null);
    const child = spawn(plugin, invocation.args, { stdio: 'inherit' });
    // The plugin owns the terminal now; Ctrl-C goes to the remote shell, not to this process.
    const ignore = () => {};
    process.on('SIGINT', ignore);
    try {
      const code = await new Promise<number | null>((resolve, reject) => {
        child.once('error', reject);
        child.once('close', resolve);
      });
      return code === 0 ? EXIT.ok : EXIT.failed;
    } finally {
      process.off('SIGINT', ignore);
    }
  });
}

function findOnPath(name: string, path: string): string | null {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}
