import { DescribeServicesCommand, ECSClient, ListTasksCommand, RunTaskCommand, type Service } from '@aws-sdk/client-ecs';

/**
 * moto records the pool's ECS service (provision creates `<prefix>-pool`) but runs no task for it.
 * This stands in for ECS's service scheduler: it keeps `desired` tasks of the service's own task
 * definition and network configuration RUNNING — RunTask as the scheduler would, and a replacement
 * for each that stops (a pool worker retiring, or killed) — and the EcsTaskRunner runs each task's
 * container as a process, exactly as the task definition says. `scale(n)` plays Application Auto
 * Scaling's part; scaling in only stops replacing tasks (no test needs a task stopped under a job).
 */
export class EcsPoolService {
  private readonly ecs: ECSClient;
  private readonly cluster: string;
  private readonly serviceName: string;
  /** ECS marks a service's tasks `ecs-svc/<id>`; this marks the stand-in's (a task's `startedBy` tells a pool task). */
  static readonly STARTED_BY = 'ecs-svc/pool-stand-in';
  private readonly startedBy = EcsPoolService.STARTED_BY;
  private desired: number;
  private service: Service | null = null;
  private timer: NodeJS.Timeout | null = null;
  private reconciling: Promise<void> | null = null;
  /** Every pool task started, in order. */
  readonly started: string[] = [];

  constructor(env: Record<string, string>, desired = 0) {
    this.cluster = must(env, 'AGENT_RUNNER_ECS_CLUSTER');
    this.serviceName = `${this.cluster}-pool`;
    this.desired = desired;
    this.ecs = new ECSClient({
      region: must(env, 'AWS_REGION'),
      endpoint: must(env, 'AWS_ENDPOINT_URL'),
      credentials: { accessKeyId: must(env, 'AWS_ACCESS_KEY_ID'), secretAccessKey: must(env, 'AWS_SECRET_ACCESS_KEY') },
    });
  }

  start(intervalMs = 200): void {
    this.timer = setInterval(() => {
      if (this.reconciling) return;
      this.reconciling = this.reconcile()
        .catch((error: unknown) => {
          process.stderr.write(`ecs-pool-service: ${String(error)}\n`);
        })
        .finally(() => {
          this.reconciling = null;
        });
    }, intervalMs);
  }

  scale(desired: number): void {
    this.desired = desired;
  }

  async running(): Promise<string[]> {
    const out = await this.ecs.send(new ListTasksCommand({ cluster: this.cluster, startedBy: this.startedBy, desiredStatus: 'RUNNING' }));
    return out.taskArns ?? [];
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.reconciling;
    this.ecs.destroy();
  }

  private async reconcile(): Promise<void> {
    this.service ??= await this.describe();
    const running = await this.running();
    for (let n = running.length; n < this.desired; n++) {
      const out = await this.ecs.send(
        new RunTaskCommand({
          cluster: this.cluster,
          taskDefinition: this.service.taskDefinition!,
          launchType: 'FARGATE',
          count: 1,
          startedBy: this.startedBy,
          networkConfiguration: this.service.networkConfiguration!,
        }),
      );
      const arn = out.tasks?.[0]?.taskArn;
      if (arn) this.started.push(arn);
    }
  }

  private async describe(): Promise<Service> {
    const out = await this.ecs.send(new DescribeServicesCommand({ cluster: this.cluster, services: [this.serviceName] }));
    const service = out.services?.[0];
    if (!service?.taskDefinition || !service.networkConfiguration) throw new Error(`no pool service ${this.serviceName} provisioned`);
    return service;
  }
}

function must(env: Record<string, string>, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`ecs-pool-service: ${name} missing from the test env`);
  return value;
}
