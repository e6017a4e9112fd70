import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import {
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  StopTaskCommand,
  type ContainerDefinition,
  type Task,
} from '@aws-sdk/client-ecs';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

export interface RecordedTaskRun {
  taskArn: string;
  env: Record<string, string>;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * moto records RunTask but runs no container. This stands in for Fargate: it watches the cluster
 * for tasks the dispatcher started and runs each one's worker container as a child process, from
 * exactly what the task asked for — the task definition's container command and environment with
 * the task's container overrides applied — so a passing test proves the launch carried enough to
 * run the job. When the process exits the task is stopped, as ECS would.
 *
 * The only things added are what a task role, the image and the ECS agent give a real task: AWS
 * credentials, PATH/HOME, the image's NODE_COMPILE_CACHE, and the task metadata endpoint
 * (ECS_CONTAINER_METADATA_URI_V4, answering `/task` with the task's ARN, which a pool worker records
 * on each attempt it starts). A caller may add variables per task (`envOf`): a measurement names the
 * task's kind, e.g. AWS_SDK_UA_APP_ID for the counting proxy to tell one-shot from pool workers, as
 * two task definitions would in a real deployment.
 */
export class EcsTaskRunner {
  readonly runs = new Map<string, RecordedTaskRun>();
  private readonly children = new Map<string, ChildProcess>();
  private readonly definitions = new Map<string, ContainerDefinition[]>();
  private readonly ecs: ECSClient;
  private readonly cluster: string;
  private readonly roleEnv: Record<string, string>;
  private readonly envOf: (task: Task) => Record<string, string>;
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  /** The task metadata endpoint: `/<task id>/task` → `{ TaskARN }`. */
  private metadata: Server | null = null;
  private metadataUrl: Promise<string> | null = null;

  constructor(env: Record<string, string>, options: { envOf?: (task: Task) => Record<string, string> } = {}) {
    this.envOf = options.envOf ?? (() => ({}));
    this.cluster = must(env, 'AGENT_RUNNER_ECS_CLUSTER');
    this.ecs = new ECSClient({
      region: must(env, 'AWS_REGION'),
      endpoint: must(env, 'AWS_ENDPOINT_URL'),
      credentials: { accessKeyId: must(env, 'AWS_ACCESS_KEY_ID'), secretAccessKey: must(env, 'AWS_SECRET_ACCESS_KEY') },
    });
    this.roleEnv = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      // What the image's own ENV gives every container (the Dockerfile sets NODE_COMPILE_CACHE).
      NODE_COMPILE_CACHE: join(REPO, '.tools', 'compile-cache'),
      AWS_ACCESS_KEY_ID: must(env, 'AWS_ACCESS_KEY_ID'),
      AWS_SECRET_ACCESS_KEY: must(env, 'AWS_SECRET_ACCESS_KEY'),
    };
  }

  start(intervalMs = 100): void {
    this.timer = setInterval(() => {
      if (this.polling) return;
      this.polling = this.runNewTasks()
        .catch((error: unknown) => {
          process.stderr.write(`ecs-task-runner: ${String(error)}\n`);
        })
        .finally(() => {
          this.polling = null;
        });
    }, intervalMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.metadata?.close();
    await this.polling;
    for (const child of this.children.values()) child.kill('SIGKILL');
    await Promise.all(
      [...this.children.values()].map(
        (c) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(null) : c.once('exit', r))),
      ),
    );
    this.ecs.destroy();
  }

  /** Kills a task's worker process abruptly (a lost worker). */
  kill(taskArn: string, signal: NodeJS.Signals = 'SIGKILL'): boolean {
    return this.children.get(taskArn)?.kill(signal) ?? false;
  }

  /**
   * Every task RunTask created in the cluster, running or stopped, each once: a task listed as
   * RUNNING may stop before the STOPPED listing is read, so the listings are joined by ARN.
   */
  async countRecordedTasks(): Promise<number> {
    const arns = new Set<string>();
    for (const desiredStatus of ['RUNNING', 'STOPPED'] as const) {
      let nextToken: string | undefined;
      do {
        const page = await this.ecs.send(new ListTasksCommand({ cluster: this.cluster, desiredStatus, nextToken }));
        for (const arn of page.taskArns ?? []) arns.add(arn);
        nextToken = page.nextToken;
      } while (nextToken);
    }
    return arns.size;
  }

  private async runNewTasks(): Promise<void> {
    const listed = await this.ecs.send(new ListTasksCommand({ cluster: this.cluster, desiredStatus: 'RUNNING' }));
    const fresh = (listed.taskArns ?? []).filter((arn) => !this.runs.has(arn));
    if (fresh.length === 0) return;
    const described = await this.ecs.send(new DescribeTasksCommand({ cluster: this.cluster, tasks: fresh, include: ['TAGS'] }));
    for (const task of described.tasks ?? []) await this.runTask(task);
  }

  private async runTask(task: Task): Promise<void> {
    const taskArn = task.taskArn!;
    const containers = await this.containersOf(task.taskDefinitionArn!);
    const overrides = task.overrides?.containerOverrides ?? [];
    const override = overrides[0];
    const container = containers.find((c) => c.name === override?.name) ?? containers[0]!;
    const env: Record<string, string> = {};
    for (const { name, value } of container.environment ?? []) if (name) env[name] = value ?? '';
    for (const { name, value } of override?.environment ?? []) if (name) env[name] = value ?? '';
    Object.assign(env, this.envOf(task));
    const command = override?.command ?? container.command ?? [];
    if (command.length === 0) throw new Error(`task ${taskArn}: no command in its definition or overrides`);
    // The image's working directory is the repo; its `node` is this Node.
    const [program, ...args] = command;
    const executable = program === 'node' ? process.execPath : program!;

    const run: RecordedTaskRun = { taskArn, env, exitCode: null, signal: null };
    this.runs.set(taskArn, run);
    const metadataUri = `${await this.metadataEndpoint()}/${encodeURIComponent(taskArn)}`;
    const child = spawn(executable, args, {
      cwd: REPO,
      env: { ...this.roleEnv, ...env, AGENT_RUNNER_WORKER_ID: taskArn, ECS_CONTAINER_METADATA_URI_V4: metadataUri },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    this.children.set(taskArn, child);
    child.once('exit', (code, signal) => {
      run.exitCode = code;
      run.signal = signal;
      this.children.delete(taskArn);
      this.ecs
        .send(
          new StopTaskCommand({ cluster: this.cluster, task: taskArn, reason: `Essential container in task exited (${code ?? signal})` }),
        )
        .catch(() => {});
    });
  }

  /** Started on first use; the path after the host names the task, as ECS's per-container URI does. */
  private metadataEndpoint(): Promise<string> {
    this.metadataUrl ??= new Promise((resolve) => {
      const server = createServer((req, res) => {
        const match = /^\/([^/]+)\/task$/.exec(req.url ?? '');
        const taskArn = match ? decodeURIComponent(match[1]!) : '';
        if (!this.runs.has(taskArn)) {
          res.writeHead(404).end();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ TaskARN: taskArn }));
      });
      this.metadata = server;
      server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
    });
    return this.metadataUrl;
  }

  private async containersOf(taskDefinitionArn: string): Promise<ContainerDefinition[]> {
    let containers = this.definitions.get(taskDefinitionArn);
    if (!containers) {
      const out = await this.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: taskDefinitionArn }));
      containers = out.taskDefinition?.containerDefinitions ?? [];
      this.definitions.set(taskDefinitionArn, containers);
    }
    return containers;
  }
}

function must(env: Record<string, string>, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`ecs-task-runner: ${name} missing from the test env`);
  return value;
}
