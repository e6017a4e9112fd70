export const summary = "the stack at a glance: services' desired/running counts, queue depths, today's spend, alarms";
export const usage = `usage: agent-runner status --stack NAME [--json]

The stack's status and API URL; each service's desired, running and pending tasks; worker tasks
running; every queue's and dead-letter queue's waiting and in-flight messages; the spend recorded
today (UTC) over all tenants; and the stack's alarms now firing.

Exit codes: 0 ok, 1 AWS failed, 2 usage.`;

export async function run(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const { runStackCommand } = await import('@agent-runner/shared/adapters/aws/stack/stack-command.ts');
  return runStackCommand('status', argv, env);
}
