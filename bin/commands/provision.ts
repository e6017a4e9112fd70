export const summary = 'create the AWS resources (queues + DLQs, tables, bucket, ECS cluster, task definition), idempotently';
export const usage = `usage: agent-runner provision [--prefix NAME] [--env-file FILE]

Creates everything agent-runner needs against AWS_ENDPOINT_URL (LocalStack, moto) or real AWS
(region from AWS_REGION), and prints the AGENT_RUNNER_* variables that point the services at it.`;

export async function run(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const { runProvisionCommand } = await import('@agent-runner/shared/adapters/aws/provision-command.ts');
  return runProvisionCommand(argv, env);
}
