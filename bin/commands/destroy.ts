export const summary = 'delete the CloudFormation stack; its tables and bucket are kept unless --delete-data';
export const usage = `usage: agent-runner destroy --stack NAME [--yes] [--delete-data]

Deletes the stack NAME and waits. The tables and the bucket are retained (DeletionPolicy Retain) and
named at the end; --delete-data deletes them too, after the stack (every job, key, event and result).
Asks for the stack's name first unless --yes (without a terminal, --yes is required).

Exit codes: 0 deleted, 1 not confirmed or CloudFormation failed, 2 usage.`;

export async function run(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const { runStackCommand } = await import('@agent-runner/shared/adapters/aws/stack/stack-command.ts');
  return runStackCommand('destroy', argv, env);
}
