export const summary = "scale the stack's API and dispatcher back to their configured sizes";
export const usage = `usage: agent-runner resume --stack NAME

Restores each service's auto-scaling range from the stack's parameters (ApiMinTasks … DispatcherMaxTasks),
sets its desired count to the minimum, and turns the heartbeat alarm's actions back on.

Exit codes: 0 resumed, 1 failed, 2 usage.`;

export async function run(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const { runStackCommand } = await import('@agent-runner/shared/adapters/aws/stack/stack-command.ts');
  return runStackCommand('resume', argv, env);
}
