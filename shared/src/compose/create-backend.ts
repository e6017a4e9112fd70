import type { Config } from '../config/config.ts';
import type { Backend } from './backend.ts';

/**
 * Builds the backend the config names. Imported lazily so the embedded default never loads the AWS
 * SDK (start-up time) and the AWS backend never opens a SQLite file.
 */
export async function createBackend(config: Config): Promise<Backend> {
  if (config.backend === 'aws') {
    const { createAwsBackend } = await import('../adapters/aws/aws-backend.ts');
    return createAwsBackend(config);
  }
  const { createEmbeddedBackend } = await import('../adapters/embedded/embedded-backend.ts');
  return createEmbeddedBackend(config);
}
