import {
  DescribeTaskDefinitionCommand,
  RegisterTaskDefinitionCommand,
  type ContainerDefinition,
  type ECSClient,
} from '@aws-sdk/client-ecs';
import { templateWorkerContainer } from './stack/stack-template.ts';

/**
 * Registers a worker task definition (`family`) whose container is the template's `logicalId`'s —
 * the one-shot worker's or the warm pool's — unless the latest revision already says the same.
 */
export async function registerWorkerTaskDefinition(
  ecs: ECSClient,
  family: string,
  image: string,
  env: Record<string, string>,
  logicalId = 'WorkerTaskDefinition',
): Promise<string> {
  const worker = templateWorkerContainer(logicalId);
  const container: ContainerDefinition = {
    name: worker.name,
    image,
    essential: true,
    // Container-level memory: Fargate only needs task-level sizes, but moto refuses RunTask without it.
    memory: 1024,
    workingDirectory: worker.workingDirectory ?? '/app',
    command: worker.command,
    environment: Object.entries(env)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, value]) => ({ name, value })),
  };
  try {
    const latest = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: family }));
    const existing = latest.taskDefinition?.containerDefinitions?.[0];
    if (latest.taskDefinition?.taskDefinitionArn && existing && sameContainer(existing, container))
      return latest.taskDefinition.taskDefinitionArn;
  } catch {
    // no revision yet
  }
  const out = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family,
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '512',
      memory: '1024',
      containerDefinitions: [container],
    }),
  );
  return out.taskDefinition!.taskDefinitionArn!;
}

function sameContainer(a: ContainerDefinition, b: ContainerDefinition): boolean {
  const key = (c: ContainerDefinition) =>
    JSON.stringify({
      image: c.image,
      command: c.command,
      workingDirectory: c.workingDirectory,
      memory: c.memory,
      environment: [...(c.environment ?? [])].sort((x, y) => (x.name ?? '').localeCompare(y.name ?? '')),
    });
  return key(a) === key(b);
}
