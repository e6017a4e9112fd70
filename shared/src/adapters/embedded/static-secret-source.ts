import type { Config } from '../../config/config.ts';
import type { SecretSource } from '../../ports/secrets.ts';

/**
 * Secrets from a fixed map, for the embedded backend where they come from the environment the
 * config was loaded from (Secrets Manager plays this part on AWS).
 */
export class StaticSecretSource implements SecretSource {
  private readonly secrets: ReadonlyMap<string, string>;

  constructor(secrets: Record<string, string | null>) {
    this.secrets = new Map(Object.entries(secrets).filter((entry): entry is [string, string] => entry[1] !== null));
  }

  async getSecret(name: string): Promise<string | null> {
    return this.secrets.get(name) ?? null;
  }
}

/** The secrets a worker may ask for, by name, from the loaded config. */
export function secretsFromConfig(config: Config): StaticSecretSource {
  return new StaticSecretSource({ ANTHROPIC_API_KEY: config.anthropic.apiKey });
}
