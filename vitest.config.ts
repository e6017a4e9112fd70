/**
 * One config, four projects (README "Tests"): `unit` beside the code, `contract`, `integration` and
 * `e2e` under test/. The last three share the AWS emulator started by test/support/global-setup.ts.
 * Timeouts are safety nets well above what a loaded 2-core machine needs (each wait inside a test has
 * its own, shorter deadline that names what it waited for); vitest's 5 s default fits unit tests only.
 */
import { defineConfig } from 'vitest/config';
import { testWorkers } from './test/support/test-workers.ts';

const AWS_PROJECT = {
  globalSetup: ['test/support/global-setup.ts'],
  setupFiles: ['test/support/aws-endpoint-setup.ts'],
};

export default defineConfig({
  test: {
    pool: 'forks',
    // Each file in its own process, as under node --test: suites set process.env and module state.
    isolate: true,
    maxWorkers: testWorkers(),
    coverage: {
      provider: 'v8',
      include: ['shared/src/**/*.ts', 'services/*/src/**/*.ts', 'bin/**/*.ts'],
      exclude: ['**/*.test.ts'],
      reporter: ['text-summary', 'text'],
      // The figure is worth seeing when a flaky e2e test failed too.
      reportOnFailure: true,
    },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['shared/src/**/*.test.ts', 'services/*/src/**/*.test.ts', 'bin/**/*.test.ts', 'test/support/**/*.test.ts'],
          testTimeout: 10_000,
          hookTimeout: 10_000,
        },
      },
      {
        extends: true,
        test: { name: 'contract', include: ['test/contract/**/*.test.ts'], ...AWS_PROJECT, testTimeout: 120_000, hookTimeout: 120_000 },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          ...AWS_PROJECT,
          testTimeout: 300_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], ...AWS_PROJECT, testTimeout: 600_000, hookTimeout: 120_000 },
      },
    ],
  },
});
