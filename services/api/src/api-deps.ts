import type { Backend } from '@agent-runner/shared/compose/backend.ts';
import type { Config } from '@agent-runner/shared/config/config.ts';
import type { Clock, IdSource } from '@agent-runner/shared/domain/ids.ts';
import type { Logger } from '@agent-runner/shared/observability/logger.ts';

/** Everything the API needs, built once in main (or by a test). */
export interface ApiDeps {
  config: Config;
  backend: Backend;
  clock: Clock;
  newId: IdSource;
  log: Logger;
}
