import { randomBytes } from 'node:crypto';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { provisionAws } from '@agent-runner/shared/adapters/aws/provision.ts';
import { motoEndpoint } from './moto.ts';

const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };

/**
 * For AWS-only suites: `describe(name, { skip: skipUnlessAws() }, …)`. They run unless
 * AGENT_RUNNER_TEST_BACKENDS (default `embedded,aws`) leaves AWS out.
 */
export function skipUnlessAws(): string | false {
  const wanted = (process.env.AGENT_RUNNER_TEST_BACKENDS ?? 'embedded,aws').split(',').map((s) => s.trim());
  return wanted.includes('aws') ? false : 'AGENT_RUNNER_TEST_BACKENDS leaves out aws';
}

/**
 * Provisions a fresh, uniquely named set of resources in the emulator and returns the environment
 * that points agent-runner at them (what `agent-runner provision` prints), plus emulator credentials.
 */
export async function provisionTestAws(
  options: { prefix?: string; workerEnv?: Record<string, string>; anthropicSecretName?: string } = {},
): Promise<Record<string, string>> {
  const endpoint = await motoEndpoint();
  // The SDK's default credential chain reads these; moto accepts any.
  Object.assign(process.env, CREDENTIALS);
  const prefix = `${options.prefix ?? 't'}-${randomBytes(4).toString('hex')}`.toLowerCase();
  const { env } = await provisionAws({
    region: 'us-east-1',
    endpoint,
    prefix,
    ...(options.workerEnv ? { workerEnv: options.workerEnv } : {}),
    ...(options.anthropicSecretName ? { anthropicSecretName: options.anthropicSecretName } : {}),
  });
  // Short long-polls: every feed a test stops waits for its polls to return (see AGENT_RUNNER_QUEUE_WAIT_SECONDS).
  return { ...env, ...CREDENTIALS, AGENT_RUNNER_QUEUE_WAIT_SECONDS: '1' };
}

/** Stores a secret in the emulator's Secrets Manager under a fresh name, and returns the name. */
export async function putTestSecret(what: string, value: string): Promise<string> {
  const endpoint = await motoEndpoint();
  Object.assign(process.env, CREDENTIALS);
  const name = `agent-runner-test/${what}-${randomBytes(4).toString('hex')}`;
  const client = new SecretsManagerClient({ region: 'us-east-1', endpoint });
  try {
    await client.send(new CreateSecretCommand({ Name: name, SecretString: value }));
  } finally {
    client.destroy();
  }
  return name;
}
