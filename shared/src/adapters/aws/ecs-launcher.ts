import { DescribeTasksCommand, RunTaskCommand, StopTaskCommand, type ECSClient, type Task } from '@aws-sdk/client-ecs';
import { FatalError, RetryableError } from '../../domain/errors.ts';
import type { AwsConfig } from '../../config/config.ts';
import type { LaunchRequest, LaunchedWorker, WorkerLauncher, WorkerState } from '../../ports/worker-launcher.ts';

type EcsSettings = NonNullable<AwsConfig['ecs']>;

/** What the launcher adds to a task beyond where it runs: ECS Exec, and where its awslogs go. */
export interface EcsLaunchOptions {
  /** `enableExecuteCommand` on every task (AGENT_RUNNER_ECS_EXEC), so `agent-runner exec` can open a shell. */
  enableExecuteCommand: boolean;
  /** The worker task definition's awslogs group and stream prefix (and the region), to record each task's stream. */
  logs: { group: string; streamPrefix: string; region: string } | null;
}

const NO_OPTIONS: EcsLaunchOptions = { enableExecuteCommand: false, logs: null };

/** DescribeTasks takes at most 100 task ARNs per call (ECS API reference). */
const DESCRIBE_TASKS_MAX = 100;

/** Errors another attempt can get past: throttling, capacity, ECS's own trouble (HTTP 5xx). */
const RETRYABLE_NAMES = new Set([
  'ThrottlingException',
  'ServerException',
  'LimitExceededException',
  'ServiceUnavailableException',
  'TooManyRequestsException',
]);

/**
 * One Fargate task per job attempt. `clientToken` is derived from job id + attempt: ECS keeps it for
 * 24 h, so a re-launch after a dispatcher died between RunTask and recording the launch returns the
 * same task instead of starting a second one. A 200 with a non-empty `failures[]` started nothing.
 */
export class EcsLauncher implements WorkerLauncher {
  private readonly ecs: ECSClient;
  private readonly settings: EcsSettings;
  private readonly options: EcsLaunchOptions;

  constructor(ecs: ECSClient, settings: EcsSettings, options: EcsLaunchOptions = NO_OPTIONS) {
    this.ecs = ecs;
    this.settings = settings;
    this.options = options;
  }

  async launch(request: LaunchRequest): Promise<LaunchedWorker> {
    const { cluster, taskDefinition, container, subnets, securityGroups, assignPublicIp } = this.settings;
    const environment = Object.entries({ ...request.env, JOB_ID: request.jobId, JOB_ATTEMPT: String(request.attempt) }).map(
      ([name, value]) => ({ name, value }),
    );
    let out;
    try {
      out = await this.ecs.send(
        new RunTaskCommand({
          cluster,
          taskDefinition,
          launchType: 'FARGATE',
          count: 1,
          startedBy: 'agent-runner',
          clientToken: clientTokenFor(request),
          ...(this.options.enableExecuteCommand && { enableExecuteCommand: true }),
          networkConfiguration: {
            awsvpcConfiguration: { subnets, securityGroups, assignPublicIp: assignPublicIp ? 'ENABLED' : 'DISABLED' },
          },
          overrides: { containerOverrides: [{ name: container, environment }] },
          tags: [
            { key: 'agent-runner:job-id', value: request.jobId },
            { key: 'agent-runner:job-type', value: request.jobType },
            { key: 'agent-runner:attempt', value: String(request.attempt) },
          ],
        }),
      );
    } catch (error) {
      throw classifyEcsError(error, 'RunTask');
    }
    const failure = out.failures?.[0];
    if (failure)
      throw new RetryableError(
        `RunTask failed: ${failure.reason ?? 'unknown'}${failure.detail ? ` (${failure.detail})` : ''}${failure.arn ? ` for ${failure.arn}` : ''}`,
      );
    const taskArn = out.tasks?.[0]?.taskArn;
    if (!taskArn) throw new RetryableError('RunTask answered with neither a task nor a failure');
    const { logs } = this.options;
    if (!logs) return { workerRef: taskArn };
    return {
      workerRef: taskArn,
      logStream: { group: logs.group, stream: awslogsStreamOf(logs.streamPrefix, container, taskArn), region: logs.region },
    };
  }

  async stop(workerRef: string, reason: string): Promise<void> {
    try {
      await this.ecs.send(new StopTaskCommand({ cluster: this.settings.cluster, task: workerRef, reason: reason.slice(0, 255) }));
    } catch (error) {
      throw classifyEcsError(error, 'StopTask');
    }
  }

  async inspect(workerRef: string): Promise<WorkerState> {
    return (await this.inspectAll([workerRef])).get(workerRef)!;
  }

  async inspectAll(workerRefs: readonly string[]): Promise<Map<string, WorkerState>> {
    const states = new Map<string, WorkerState>();
    const refs = [...new Set(workerRefs)];
    for (let i = 0; i < refs.length; i += DESCRIBE_TASKS_MAX) {
      const chunk = refs.slice(i, i + DESCRIBE_TASKS_MAX);
      let out;
      try {
        out = await this.ecs.send(new DescribeTasksCommand({ cluster: this.settings.cluster, tasks: chunk }));
      } catch (error) {
        throw classifyEcsError(error, 'DescribeTasks');
      }
      for (const task of out.tasks ?? []) {
        // A ref may be the full ARN (what RunTask returned) or the bare task id.
        const ref = chunk.find((r) => r === task.taskArn || task.taskArn?.endsWith(`/${r}`));
        if (ref) states.set(ref, this.stateOf(task));
      }
      // A task ECS does not know comes back under failures[] (reason MISSING), or not at all.
      for (const ref of chunk) if (!states.has(ref)) states.set(ref, { state: 'unknown' });
    }
    return states;
  }

  private stateOf(task: Task): WorkerState {
    if (task.lastStatus !== 'STOPPED') return { state: 'running' };
    const worker = task.containers?.find((c) => c.name === this.settings.container);
    // An absent reason may come back as "" rather than missing.
    return { state: 'stopped', exitCode: worker?.exitCode ?? null, reason: task.stoppedReason || worker?.reason || null };
  }
}

/**
 * The stream the awslogs driver writes a task's container to: `<prefix>/<container>/<task id>`
 * (the task id is the ARN's last part), known as soon as RunTask answers: nothing to look up.
 */
export function awslogsStreamOf(streamPrefix: string, container: string, taskArn: string): string {
  return `${streamPrefix}/${container}/${taskArn.slice(taskArn.lastIndexOf('/') + 1)}`;
}

/** ≤ 64 characters (RunTask's limit); job ids are 26, so this always fits. */
export function clientTokenFor(request: Pick<LaunchRequest, 'jobId' | 'attempt'>): string {
  return `${request.jobId}-${request.attempt}`.slice(0, 64);
}

function classifyEcsError(error: unknown, call: string): Error {
  const name = (error as { name?: string }).name ?? 'Error';
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0;
  const requestId = (error as { $metadata?: { requestId?: string } }).$metadata?.requestId;
  const message = `${call} failed: ${name}: ${(error as Error).message}${requestId ? ` (request ${requestId})` : ''}`;
  if (RETRYABLE_NAMES.has(name) || status >= 500 || status === 429 || status === 0) return new RetryableError(message, { cause: error });
  // ClientException, InvalidParameterException, AccessDeniedException, ClusterNotFoundException…:
  // the configuration is wrong, another attempt would fail the same way.
  return new FatalError(message, { cause: error });
}
