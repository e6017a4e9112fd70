/**
 * Runs one client subcommand as `agent-runner <command>` would: `node test/support/cli-entry.ts submit …`.
 * TODO(lead): once bin/agent-runner.ts registers submit/get/list/logs/cancel, point CLI_ENTRY in
 * test/support/cli.ts at bin/agent-runner.ts and delete this file.
 */
const COMMANDS: Record<string, () => Promise<{ usage: string; run(argv: string[], env: Record<string, string | undefined>): Promise<number> }>> = {
  submit: () => import('../../bin/commands/submit.ts'),
  get: () => import('../../bin/commands/get.ts'),
  list: () => import('../../bin/commands/list.ts'),
  logs: () => import('../../bin/commands/logs.ts'),
  cancel: () => import('../../bin/commands/cancel.ts'),
};

const [name = '', ...rest] = process.argv.slice(2);
const load = COMMANDS[name];
if (!load) {
  process.stderr.write(`cli-entry: unknown command "${name}"\n`);
  process.exitCode = 2;
} else {
  const command = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.usage}\n`);
    process.exitCode = 0;
  } else {
    process.exitCode = await command.run(rest, process.env);
  }
}
