import { GetSecretValueCommand, ResourceNotFoundException, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { UnavailableError } from '../../domain/errors.ts';
import type { SecretSource } from '../../ports/secrets.ts';

/** Secrets from AWS Secrets Manager, each fetched once per process (a worker lives for one job). */
export class SecretsManagerSource implements SecretSource {
  private readonly client: SecretsManagerClient;
  private readonly cache = new Map<string, Promise<string | null>>();

  constructor(client: SecretsManagerClient) {
    this.client = client;
  }

  getSecret(name: string): Promise<string | null> {
    let pending = this.cache.get(name);
    if (!pending) {
      pending = this.fetch(name);
      this.cache.set(name, pending);
      pending.catch(() => this.cache.delete(name));
    }
    return pending;
  }

  private async fetch(name: string): Promise<string | null> {
    try {
      const out = await this.client.send(new GetSecretValueCommand({ SecretId: name }));
      return out.SecretString ?? (out.SecretBinary ? Buffer.from(out.SecretBinary).toString('utf8') : null);
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return null;
      // Never include the value; the name is not secret.
      throw new UnavailableError(`could not read secret ${name}: ${(error as Error).name}`, { cause: error });
    }
  }
}
