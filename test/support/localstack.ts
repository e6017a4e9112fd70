import type { DockerProbe } from './emulator-choice.ts';

/** The image docker-compose.yml runs, so the tests and `docker compose up` see the same LocalStack. */
export const LOCALSTACK_IMAGE = 'localstack/localstack:4.9.2';

/** Asks testcontainers for a container runtime; the answer's reason is its error, on one line. */
export async function probeDocker(): Promise<DockerProbe> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    // It resolves only when a runtime answered (it tries DOCKER_HOST, the socket, testcontainers' config).
    await getContainerRuntimeClient();
    return { reachable: true };
  } catch (error) {
    const why = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? 'unknown error';
    return { reachable: false, why: `no Docker daemon reachable (${why.trim()})` };
  }
}

/** Starts LocalStack with testcontainers' LocalStack module; `stop` removes the container. */
export async function startLocalStack(): Promise<{ url: string; stop: () => Promise<void> }> {
  const { LocalstackContainer } = await import('@testcontainers/localstack');
  const container = await new LocalstackContainer(LOCALSTACK_IMAGE)
    .withEnvironment({ SERVICES: 'dynamodb,sqs,s3,ecs,ec2,secretsmanager,iam,sts,application-autoscaling' })
    .start();
  return {
    url: container.getConnectionUri(),
    stop: async () => {
      await container.stop();
    },
  };
}
