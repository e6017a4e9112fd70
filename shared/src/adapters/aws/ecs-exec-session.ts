import { DescribeTasksCommand, ECSClient, ExecuteCommandCommand } from '@aws-sdk/client-ecs';

/** Where a running worker task is, read from its ARN (`arn:aws:ecs:<region>:<account>:task/<cluster>/<id>`). */
export interface ExecTarget {
  region: string;
  cluster: string;
  taskArn: string;
  taskId: string;
}

export function execTargetOf(taskArn: string): ExecTarget | null {
  const match = /^arn:aws[\w-]*:ecs:([\w-]+):\d+:task\/([^/]+)\/([\w-]+)$/.exec(taskArn);
  if (!match) return null;
  return { region: match[1]!, cluster: match[2]!, taskArn, taskId: match[3]! };
}

/** The AWS CLI line that opens the same session, for an operator without the plugin at hand. */
export function awsCliExecLine(target: ExecTarget, container: string, command: string): string {
  const quote = (s: string) => (/^[\w./:@-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return [
    'aws ecs execute-command',
    `--region ${quote(target.region)}`,
    `--cluster ${quote(target.cluster)}`,
    `--task ${quote(target.taskArn)}`,
    `--container ${quote(container)}`,
    '--interactive',
    `--command ${quote(command)}`,
  ].join(' ');
}

/** The arguments session-manager-plugin takes, as the AWS CLI passes them. */
export interface PluginInvocation {
  args: string[];
}

/**
 * Starts an ECS Exec session (ExecuteCommand, interactive) in the task's container and returns
 * what session-manager-plugin needs to attach this terminal to it: the session (id, stream URL,
 * token), the region, and the SSM target `ecs:<cluster>_<task id>_<container runtime id>` (the
 * plugin resumes a dropped session by it; DescribeTasks gives the runtime id).
 */
export async function startExecSession(
  target: ExecTarget,
  container: string,
  command: string,
  endpoint: string | null,
): Promise<PluginInvocation> {
  const ecs = new ECSClient({ region: target.region, ...(endpoint ? { endpoint } : {}) });
  try {
    const described = await ecs.send(new DescribeTasksCommand({ cluster: target.cluster, tasks: [target.taskArn] }));
    const runtimeId = described.tasks?.[0]?.containers?.find((c) => c.name === container)?.runtimeId;
    if (!runtimeId) throw new Error(`task ${target.taskId} has no running container "${container}"`);
    const out = await ecs.send(
      new ExecuteCommandCommand({ cluster: target.cluster, task: target.taskArn, container, interactive: true, command }),
    );
    if (!out.session?.sessionId || !out.session.streamUrl || !out.session.tokenValue)
      throw new Error('ExecuteCommand answered without a session');
    const ssmEndpoint = endpoint ?? `https://ssm.${target.region}.amazonaws.com`;
    return {
      args: [
        JSON.stringify({ SessionId: out.session.sessionId, StreamUrl: out.session.streamUrl, TokenValue: out.session.tokenValue }),
        target.region,
        'StartSession',
        '',
        JSON.stringify({ Target: `ecs:${target.cluster}_${target.taskId}_${runtimeId}` }),
        ssmEndpoint,
      ],
    };
  } finally {
    ecs.destroy();
  }
}
