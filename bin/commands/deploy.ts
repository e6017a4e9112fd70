export const summary = 'create or update the CloudFormation stack (change set), wait, print its outputs and the API URL';
export const usage = `usage: agent-runner deploy --stack NAME [--image URI] [--param KEY=VALUE ...] [--write-env FILE] [--json]

Deploys infra/agent-runner.cfn.yaml as the stack NAME in AWS_REGION (AWS_ENDPOINT_URL for an
emulator): a change set, executed and waited for; then the stack's outputs and the API's URL.
Progress goes to standard error. On an update, parameters not given keep their values, so
\`--image\` alone rolls out a new image (a rolling deploy; the circuit breaker rolls a failing one back).

  --image    the agent-runner image (the template's Image parameter)
  --param    any template parameter, e.g. VpcId=vpc-… SubnetIds=subnet-a,subnet-b
             PublicSubnetIds=… AssignPublicIp=ENABLED CertificateArn=arn:… AlarmEmail=ops@example.com
             (repeatable; a new stack's Prefix defaults to NAME)
  --write-env  dotenv lines pointing the operator's commands (keys, tenants) and the client
             commands (AGENT_RUNNER_API_URL) at the stack

Exit codes: 0 deployed (or nothing to change), 1 CloudFormation refused or rolled back, 2 usage.`;

export async function run(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const { runStackCommand } = await import('@agent-runner/shared/adapters/aws/stack/stack-command.ts');
  return runStackCommand('deploy', argv, env);
}
