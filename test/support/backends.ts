import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Backend } from '@agent-runner/shared/compose/backend.ts';
import { createBackend } from '@agent-runner/shared/compose/create-backend.ts';
import { loadConfig, type Config } from '@agent-runner/shared/config/config.ts';

export type BackendUnderTestName = 'embedded' | 'aws';

export interface BackendUnderTest {
  name: BackendUnderTestName;
  /** A fresh, isolated environment for this backend: a temp data dir, or freshly provisioned emulator resources. */
  makeEnv(): Promise<Record<string, string>>;
}

/** Data dirs made by `makeEnv`, removed when the backend opened on them closes. */
const temporaryDirs = new Set<string>();

/**
 * The backends a contract suite runs its cases against: AGENT_RUNNER_TEST_BACKENDS (a comma list),
 * both by default.
 */
export function backendsUnderTest(): BackendUnderTest[] {
  const wanted = (process.env.AGENT_RUNNER_TEST_BACKENDS ?? 'embedded,aws').split(',').map((s) => s.trim());
  const all: BackendUnderTest[] = [
    {
      name: 'embedded',
      async makeEnv() {
        const dir = mkdtempSync(join(tmpdir(), 'agent-runner-contract-'));
        temporaryDirs.add(dir);
        return { AGENT_RUNNER_DATA_DIR: dir };
      },
    },
    {
      name: 'aws',
      async makeEnv() {
        // Loaded only when AWS is under test, so an embedded-only run needs nothing of it.
        const { provisionTestAws } = await import('./aws-test-env.ts');
        const env = await provisionTestAws({ prefix: 'contract' });
        // The SDK clients read credentials from the default chain, as on a real host.
        if (env.AWS_ACCESS_KEY_ID) process.env.AWS_ACCESS_KEY_ID = env.AWS_ACCESS_KEY_ID;
        if (env.AWS_SECRET_ACCESS_KEY) process.env.AWS_SECRET_ACCESS_KEY = env.AWS_SECRET_ACCESS_KEY;
        return env;
      },
    },
  ];
  return all.filter((b) => wanted.includes(b.name));
}

export interface OpenedBackend {
  name: BackendUnderTestName;
  env: Record<string, string>;
  config: Config;
  backend: Backend;
  /** Closes the backend and removes what `makeEnv` created on disk. */
  close(): Promise<void>;
}

/** A fresh environment for `target` and the backend `createBackend(loadConfig(env))` builds on it. */
export async function openBackend(target: BackendUnderTest, overrides: Record<string, string> = {}): Promise<OpenedBackend> {
  // Auth off unless asked for (on aws it would otherwise be required): suites about keys turn it on.
  const env: Record<string, string> = {
    AGENT_RUNNER_LOG_LEVEL: 'warn',
    AGENT_RUNNER_AUTH: 'off',
    ...(await target.makeEnv()),
    ...overrides,
  };
  const config = loadConfig(env);
  const backend = await createBackend(config);
  return {
    name: target.name,
    env,
    config,
    backend,
    async close() {
      await backend.close();
      const dir = env.AGENT_RUNNER_DATA_DIR;
      if (dir && temporaryDirs.delete(dir)) rmSync(dir, { recursive: true, force: true });
    },
  };
}
