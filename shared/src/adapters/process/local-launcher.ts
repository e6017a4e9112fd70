import type { Config } from '../../config/config.ts';
import type { WorkerLauncher } from '../../ports/worker-launcher.ts';
import { IsolationRoutingLauncher } from '../isolation-routing-launcher.ts';
import { LauncherLoadedOnFirstUse } from '../load-on-first-use.ts';

/**
 * Workers on this machine: a child process per one-shot attempt, and a warm pool of long-lived
 * children for pooled ones. Each launcher (and node:child_process) is imported on its first use.
 */
export function createLocalLauncher(config: Config, baseEnv: Record<string, string | undefined>): WorkerLauncher {
  return new IsolationRoutingLauncher(
    new LauncherLoadedOnFirstUse(async () => (await import('./process-launcher.ts')).createProcessLauncher(config, { baseEnv })),
    new LauncherLoadedOnFirstUse(async () => (await import('./pool-launcher.ts')).createPoolLauncher(config, { baseEnv })),
  );
}
