/**
 * setupFiles for the projects that touch AWS: gives this test process its emulator endpoint (from
 * global-setup.ts) where test/support/moto.ts and the suites read it, AGENT_RUNNER_TEST_AWS_ENDPOINT.
 */
import { inject } from 'vitest';

const endpoints = inject('awsEndpoints');
if (endpoints.length > 0) {
  const worker = Number(process.env.VITEST_POOL_ID ?? '1');
  process.env.AGENT_RUNNER_TEST_AWS_ENDPOINT = endpoints[(Math.max(worker, 1) - 1) % endpoints.length];
}
