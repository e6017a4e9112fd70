import Anthropic from '@anthropic-ai/sdk';
import type { Config } from '@agent-runner/shared/config/config.ts';
import { FatalError } from '@agent-runner/shared/domain/errors.ts';
import type { Logger } from '@agent-runner/shared/observability/logger.ts';
import type { SecretSource } from '@agent-runner/shared/ports/secrets.ts';

/** The SDK's own default, written out so the SDK never falls back to reading ANTHROPIC_BASE_URL itself. */
const ANTHROPIC_API_URL = 'https://api.anthropic.com';

/** The embedded backend's secret source serves the key under this name (static-secret-source.ts). */
const EMBEDDED_KEY_NAME = 'ANTHROPIC_API_KEY';

/** Where the API key lives: Secrets Manager's AGENT_RUNNER_ANTHROPIC_SECRET_NAME on AWS, the environment otherwise. */
function keySecretName(config: Config): string {
  if (config.backend !== 'aws') return EMBEDDED_KEY_NAME;
  if (config.anthropic.secretName === null) {
    throw new FatalError('no Anthropic API key: AGENT_RUNNER_ANTHROPIC_SECRET_NAME is not set for the aws backend');
  }
  return config.anthropic.secretName;
}

/**
 * An Anthropic client for one job attempt, from the config and the secret source. Every option is
 * given explicitly, so the SDK reads nothing from the environment. `maxRetries` makes the SDK
 * retry 408/409/429/5xx and connection failures inside the attempt, waiting as `retry-after` says;
 * what is left after that is the job's to retry (RetryableError). The key is never logged.
 */
export async function createAnthropicClient(config: Config, secrets: SecretSource, log: Logger): Promise<Anthropic> {
  const name = keySecretName(config);
  const apiKey = await secrets.getSecret(name);
  if (apiKey === null || apiKey.trim() === '') {
    const where = config.backend === 'aws' ? `Secrets Manager secret "${name}"` : 'ANTHROPIC_API_KEY';
    throw new FatalError(`no Anthropic API key: ${where} is not set`);
  }
  const sdkLog = log.child({ component: 'anthropic-sdk' });
  return new Anthropic({
    apiKey: apiKey.trim(),
    baseURL: config.anthropic.baseUrl ?? ANTHROPIC_API_URL,
    maxRetries: config.anthropic.maxRetries,
    // At `info` the SDK reports each retry ("… failed with status 429 … retrying, 3 attempts
    // remaining"); `debug` would log request details, so it stays off.
    logLevel: 'info',
    logger: {
      error: (message, ...rest) => sdkLog.error(detailsOf(rest), message),
      warn: (message, ...rest) => sdkLog.warn(detailsOf(rest), message),
      info: (message, ...rest) => sdkLog.info(detailsOf(rest), message),
      debug: (message, ...rest) => sdkLog.debug(detailsOf(rest), message),
    },
  });
}

function detailsOf(rest: unknown[]): object {
  return rest.length > 0 ? { details: rest } : {};
}
