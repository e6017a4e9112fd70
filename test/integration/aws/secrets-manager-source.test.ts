import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { CreateSecretCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { createAwsClients, type AwsClients } from '@agent-runner/shared/adapters/aws/aws-clients.ts';
import { SecretsManagerSource } from '@agent-runner/shared/adapters/aws/secrets-manager-source.ts';
import { loadConfig } from '@agent-runner/shared/config/config.ts';
import { provisionTestAws, skipUnlessAws } from '../../support/aws-test-env.ts';

describe('SecretsManagerSource on moto', { skip: Boolean(skipUnlessAws()) }, () => {
  let clients: AwsClients;

  beforeAll(async () => {
    const aws = loadConfig(await provisionTestAws({ prefix: 'secrets' })).aws!;
    clients = createAwsClients(aws.region, aws.endpoint);
  });
  afterAll(() => clients?.destroy());

  test('a secret reads as its string value, once per process', async () => {
    const name = `agent-runner/test/${randomUUID()}`;
    await clients.secrets.send(new CreateSecretCommand({ Name: name, SecretString: 'sk-first' }));
    const source = new SecretsManagerSource(clients.secrets);
    assert.equal(await source.getSecret(name), 'sk-first');
    await clients.secrets.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'sk-second' }));
    assert.equal(await source.getSecret(name), 'sk-first', 'a worker lives for one job: the value is read once');
    assert.equal(await new SecretsManagerSource(clients.secrets).getSecret(name), 'sk-second');
  });

  test('a binary secret reads as UTF-8 text', async () => {
    const name = `agent-runner/test/${randomUUID()}`;
    await clients.secrets.send(new CreateSecretCommand({ Name: name, SecretBinary: Buffer.from('sk-binary', 'utf8') }));
    assert.equal(await new SecretsManagerSource(clients.secrets).getSecret(name), 'sk-binary');
  });

  test('a secret that does not exist is null', async () => {
    assert.equal(await new SecretsManagerSource(clients.secrets).getSecret(`agent-runner/test/absent-${randomUUID()}`), null);
  });
});
