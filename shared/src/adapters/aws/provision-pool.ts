import {
  type ApplicationAutoScalingClient,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
  type TargetTrackingScalingPolicyConfiguration,
} from '@aws-sdk/client-application-auto-scaling';
import { CreateServiceCommand, DescribeServicesCommand, type ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { registerWorkerTaskDefinition } from './provision-task-definition.ts';
import { templatePoolScalingPolicy } from './stack/stack-template.ts';

export interface PoolProvisionOptions {
  prefix: string;
  cluster: string;
  image: string;
  /** The pool worker's environment (the one-shot worker's, which names the pool queue too). */
  env: Record<string, string>;
  network: { subnets: string[]; securityGroups: string[] };
  /** The pool queue's name, for the scaling policy's metrics. */
  queueName: string;
  /** The scalable target's range: tasks kept when idle (0: scale to zero) and the most there may be. */
  min: number;
  max: number;
}

export interface ProvisionedPool {
  taskDefinition: string;
  service: string;
  /** The scalable target's resource id, `service/<cluster>/<service>`. */
  scalableTarget: string;
  policy: string;
}

/**
 * The warm pool's compute, as the template's PoolWorkerTaskDefinition, PoolService, PoolScalableTarget
 * and PoolBacklogScaling define it: the pool worker task definition, an ECS service running it
 * (created with `min` tasks; an existing one gets the new revision and keeps the count its scaler
 * set), the service's scalable target and the target-tracking policy on backlog per task, read from
 * the template with its references resolved.
 */
export async function provisionPool(
  ecs: ECSClient,
  scaling: ApplicationAutoScalingClient,
  o: PoolProvisionOptions,
): Promise<ProvisionedPool> {
  const taskDefinition = await registerWorkerTaskDefinition(ecs, `${o.prefix}-pool-worker`, o.image, o.env, 'PoolWorkerTaskDefinition');
  const service = `${o.prefix}-pool`;
  const networkConfiguration = {
    awsvpcConfiguration: { subnets: o.network.subnets, securityGroups: o.network.securityGroups, assignPublicIp: 'DISABLED' as const },
  };
  const existing = (await ecs.send(new DescribeServicesCommand({ cluster: o.cluster, services: [service] }))).services?.find(
    (s) => s.status === 'ACTIVE',
  );
  // CreateService is not idempotent once the service exists: update it instead.
  if (existing) await ecs.send(new UpdateServiceCommand({ cluster: o.cluster, service, taskDefinition, networkConfiguration }));
  else
    await ecs.send(
      new CreateServiceCommand({
        cluster: o.cluster,
        serviceName: service,
        taskDefinition,
        desiredCount: o.min,
        launchType: 'FARGATE',
        networkConfiguration,
      }),
    );
  const scalableTarget = `service/${o.cluster}/${service}`;
  await scaling.send(
    new RegisterScalableTargetCommand({
      ServiceNamespace: 'ecs',
      ScalableDimension: 'ecs:service:DesiredCount',
      ResourceId: scalableTarget,
      MinCapacity: o.min,
      MaxCapacity: o.max,
    }),
  );
  const known: Record<string, string> = {
    Cluster: o.cluster,
    'PoolQueue.QueueName': o.queueName,
    'PoolService.Name': service,
  };
  const configuration = templatePoolScalingPolicy((ref) => {
    const value = known[ref];
    if (value === undefined) throw new Error(`PoolBacklogScaling: provision cannot resolve ${ref}`);
    return value;
  }) as TargetTrackingScalingPolicyConfiguration;
  const policy = `${o.prefix}-pool-backlog`;
  await scaling.send(
    new PutScalingPolicyCommand({
      PolicyName: policy,
      ServiceNamespace: 'ecs',
      ScalableDimension: 'ecs:service:DesiredCount',
      ResourceId: scalableTarget,
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: configuration,
    }),
  );
  return { taskDefinition, service, scalableTarget, policy };
}
