export const summary =
  "create the template's queues and tables, a bucket, ECS cluster and task definition with the SDK, idempotently (emulators)";
export const usage = `usage: agent-runner provision [--prefix NAME] [--write-env FILE] [--image IMAGE] [--bucket NAME]
                             [--subnets a,b] [--security-groups g] [--worker-env KEY=VALUE ...] [--no-ecs]

Creates the queues and tables of infra/agent-runner.cfn.yaml, a bucket, the ECS cluster and the
worker task definition against AWS_ENDPOINT_URL (LocalStack, moto) or real AWS
(region from AWS_REGION), idempotently, and prints the AGENT_RUNNER_* variables that point the
services at it (or writes them to --write-env FILE; not --env-file, which Node itself takes
wherever it appears on the command line).

  --prefix           names every resource (default AGENT_RUNNER_NAME_PREFIX, agent-runner)
  --image            the worker image of the task definition (default agent-runner-worker:latest)
  --bucket           the S3 bucket (default <prefix>-<account>-<region>)
  --subnets, --security-groups   awsvpc networking (default: the default VPC's)
  --worker-env       KEY=VALUE for the worker task definition's environment (repeatable; no secrets)
  --no-ecs           skip the ECS cluster and task definition (a dispatcher with the process launcher)

The Anthropic key's secret: AGENT_RUNNER_ANTHROPIC_SECRET_NAME, passed to the workers.`;

export async function run(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const { runProvisionCommand } = await import('@agent-runner/shared/adapters/aws/provision-command.ts');
  return runProvisionCommand(argv, env);
}
