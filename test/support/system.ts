import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApi } from '@agent-runner/api/main.ts';
import { startDispatcher, type DispatcherOptions, type RunningDispatcher } from '@agent-runner/dispatcher/main.ts';
import type { Backend } from '@agent-runner/shared/compose/backend.ts';
import { createBackend } from '@agent-runner/shared/compose/create-backend.ts';
import { loadConfig, type Config } from '@agent-runner/shared/config/config.ts';
import { createLogger } from '@agent-runner/shared/observability/logger.ts';
import { CountingLauncher } from './counting-launcher.ts';
import type { EcsPoolService } from './ecs-pool-service.ts';
import type { EcsTaskRunner } from './ecs-task-runner.ts';

export type BackendName = 'embedded' | 'aws';

/** Which backends this run covers: AGENT_RUNNER_TEST_BACKENDS (comma list), both by default. */
export function backendNames(): BackendName[] {
  const wanted = (process.env.AGENT_RUNNER_TEST_BACKENDS ?? 'embedded,aws').split(',').map((s) => s.trim());
  return (['embedded', 'aws'] as const).filter((b) => wanted.includes(b));
}

export interface TestSystem {
  name: BackendName;
  env: Record<string, string>;
  config: Config;
  backend: Backend;
  /** The API's base URL (a real server on a free port). */
  url: string;
  /** Counts every launch that went through this system's dispatchers. */
  launcher: CountingLauncher;
  /** On AWS: runs the worker for each task the dispatcher started in the emulator. */
  tasks: EcsTaskRunner | null;
  /** On AWS with `poolTasks`: the warm pool's ECS service, kept running as its scheduler would. */
  pool: EcsPoolService | null;
  startDispatcher(options?: DispatcherOptions): RunningDispatcher;
  /** Stops every dispatcher started so far (the API and backend stay up). */
  stopDispatchers(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The whole system on one backend, in this process except for the workers: a real API server, any
 * number of dispatchers, and workers as real child processes (spawned by the process launcher, or
 * by the ECS task runner from the tasks recorded in the emulator).
 */
export interface SystemOptions {
  /** AWS: run the worker of each task the emulator records (default true; benchmarks turn it off). */
  runTasks?: boolean;
  /** AWS: variables provisioned into the worker's task definition (embedded workers get `overrides`). */
  workerEnv?: Record<string, string>;
  /** AWS: the Anthropic key, stored in Secrets Manager under a fresh name the workers are given. */
  anthropicApiKey?: string;
  /** AWS: pool worker tasks the pool service keeps running (EcsPoolService; moto runs no service). Default 0. */
  poolTasks?: number;
}

export async function startSystem(
  name: BackendName,
  overrides: Record<string, string> = {},
  options: SystemOptions = {},
): Promise<TestSystem> {
  let env: Record<string, string>;
  let dataDir: string | null = null;
  if (name === 'aws') {
    // Loaded only when the AWS backend is under test: it brings the emulator and the AWS SDK.
    const { provisionTestAws, putTestSecret } = await import('./aws-test-env.ts');
    const anthropicSecretName = options.anthropicApiKey ? await putTestSecret('anthropic-key', options.anthropicApiKey) : undefined;
    env = await provisionTestAws({
      ...(options.workerEnv ? { workerEnv: options.workerEnv } : {}),
      ...(anthropicSecretName ? { anthropicSecretName } : {}),
    });
    // The in-process SDK clients read credentials from the default chain, as on a real host.
    process.env.AWS_ACCESS_KEY_ID = env.AWS_ACCESS_KEY_ID;
    process.env.AWS_SECRET_ACCESS_KEY = env.AWS_SECRET_ACCESS_KEY;
  } else {
    dataDir = mkdtempSync(join(tmpdir(), 'agent-runner-e2e-'));
    env = { AGENT_RUNNER_DATA_DIR: dataDir };
  }
  // Auth off unless a test turns it on: on aws it is otherwise required (the security tests ask for it).
  env = {
    AGENT_RUNNER_LOG_LEVEL: 'warn',
    AGENT_RUNNER_AUTH: 'off',
    AGENT_RUNNER_PORT: '0',
    AGENT_RUNNER_HEARTBEAT_SECONDS: '2',
    AGENT_RUNNER_SWEEP_INTERVAL_SECONDS: '1',
    AGENT_RUNNER_QUEUE_DEPTH_INTERVAL_SECONDS: '1',
    ...env,
    ...overrides,
  };
  const config = loadConfig(env);
  const backend = await createBackend(config);
  const log = createLogger('test', config.logLevel);
  const api = await startApi(config, backend, log);
  const launcher = new CountingLauncher(backend.createLauncher());
  if (config.pool.pooledTypes.length > 0) await launcher.warm();
  const tasks = name === 'aws' && options.runTasks !== false ? new (await import('./ecs-task-runner.ts')).EcsTaskRunner(env) : null;
  tasks?.start();
  const pool = tasks && options.poolTasks ? new (await import('./ecs-pool-service.ts')).EcsPoolService(env, options.poolTasks) : null;
  pool?.start();
  const dispatchers: RunningDispatcher[] = [];

  return {
    name,
    env,
    config,
    backend,
    url: api.url,
    launcher,
    tasks,
    pool,
    startDispatcher(options = {}) {
      // No EMF lines on the test's stdout unless a test asks for them.
      const d = startDispatcher(config, backend, log, { launcher, emfLines: null, ...options });
      dispatchers.push(d);
      return d;
    },
    async stopDispatchers() {
      await Promise.all(dispatchers.splice(0).map((d) => d.stop()));
    },
    async stop() {
      await Promise.all(dispatchers.splice(0).map((d) => d.stop()));
      await launcher.close();
      await api.close();
      await pool?.stop();
      await tasks?.stop();
      await backend.close();
      // One-shot workers outlive their dispatcher (as ECS tasks do) and may still write here (logs, the
      // compile cache they flush at exit) while it is removed: retry what that races (ENOTEMPTY).
      if (dataDir) rmSync(dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    },
  };
}
