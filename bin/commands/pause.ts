export const summary = "scale the stack's API and dispatcher to zero (refused while jobs run, unless --force)";
export const usage = `usage: agent-runner pause --stack NAME [--force]

Sets both services' auto-scaling range and desired count to 0, and turns off the dispatcher
heartbeat alarm's actions. Nothing runs, so nothing is billed but the load balancer, the alarms and
storage. Jobs submitted meanwhile are refused (no API); queued ones wait for \`resume\`.
Refused while worker tasks run, since no dispatcher would notice a lost one: --force pauses anyway.

Exit codes: 0 paused, 1 refused or failed, 2 usage.`;

export async function run(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const { runStackCommand } = await import('@agent-runner/shared/adapters/aws/stack/stack-command.ts');
  return runStackCommand('pause', argv, env);
}
