import { isEntryPoint } from '@agent-runner/shared/runtime/is-entry-point.ts';

/** A subcommand: its one-line summary, its --help text, and what it does. Loaded only when used. */
interface Command {
  summary: string;
  usage: string;
  run(argv: string[], env: Record<string, string | undefined>): Promise<number>;
}

const COMMANDS: Record<string, () => Promise<Command>> = {
  start: () => import('./commands/start.ts'),
  api: () => import('./commands/api.ts'),
  dispatcher: () => import('./commands/dispatcher.ts'),
  worker: () => import('./commands/worker.ts'),
  provision: () => import('./commands/provision.ts'),
  keys: () => import('./commands/keys.ts'),
  submit: () => import('./commands/submit.ts'),
  get: () => import('./commands/get.ts'),
  list: () => import('./commands/list.ts'),
  logs: () => import('./commands/logs.ts'),
  cancel: () => import('./commands/cancel.ts'),
  tenants: () => import('./commands/tenants.ts'),
  webhooks: () => import('./commands/webhooks.ts'),
};

async function overview(): Promise<string> {
  const lines = ['usage: agent-runner <command> [options]', '', 'commands:'];
  for (const [name, load] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(12)} ${(await load()).summary}`);
  lines.push('', "Run `agent-runner <command> --help` for a command's options.");
  return lines.join('\n');
}

/** Exit codes: 0 ok, 1 the operation failed, 2 usage or configuration error. */
export async function main(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${await overview()}\n`);
    return name ? 0 : 2;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`agent-runner: unknown command "${name}"\n\n${await overview()}\n`);
    return 2;
  }
  const command = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.usage}\n`);
    return 0;
  }
  return command.run(rest, env);
}

if (isEntryPoint(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2), process.env);
}
