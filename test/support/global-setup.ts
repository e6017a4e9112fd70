/**
 * vitest's globalSetup for the projects that touch AWS: starts the AWS emulator once per run (what
 * test/run.ts did) and hands its endpoint to the test files, which read it from
 * AGENT_RUNNER_TEST_AWS_ENDPOINT (set by test/support/aws-endpoint-setup.ts in each test process).
 * moto by default; LocalStack through testcontainers when AGENT_RUNNER_TEST_EMULATOR=localstack and
 * Docker answers. Nothing starts when AGENT_RUNNER_TEST_BACKENDS leaves out aws, or when
 * AGENT_RUNNER_TEST_AWS_ENDPOINT already names an emulator.
 */
import type { TestProject } from 'vitest/node';
import { chooseEmulator, requestedEmulator } from './emulator-choice.ts';
import { probeDocker, startLocalStack } from './localstack.ts';
import { ensureMotoInstalled, startMoto, stopChild } from './moto.ts';
import { testWorkers } from './test-workers.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Emulator endpoints; test process N (VITEST_POOL_ID) uses endpoint (N - 1) mod length. Empty: AWS not under test. */
    awsEndpoints: string[];
  }
}

interface Running {
  emulator: Promise<{ endpoints: string[]; stop: () => Promise<void> }>;
  users: number;
}

/**
 * Each project that has files to run loads this file in its own module runner, so module state is
 * not shared between them; the one process is. The first project starts the emulator, the last to
 * tear down stops it, and a run of the unit project alone starts nothing.
 */
const SHARED = Symbol.for('agent-runner.test.aws-emulator');
const holder = globalThis as typeof globalThis & { [SHARED]?: Running };

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  holder[SHARED] ??= { emulator: start(), users: 0 };
  const running = holder[SHARED];
  running.users += 1;
  const { endpoints, stop } = await running.emulator;
  project.provide('awsEndpoints', endpoints);
  return async () => {
    running.users -= 1;
    if (running.users > 0) return;
    delete holder[SHARED];
    await stop();
  };
}

async function start(): Promise<{ endpoints: string[]; stop: () => Promise<void> }> {
  const wantsAws = (process.env.AGENT_RUNNER_TEST_BACKENDS ?? 'embedded,aws')
    .split(',')
    .map((s) => s.trim())
    .includes('aws');
  if (!wantsAws) return { endpoints: [], stop: async () => {} };
  const given = process.env.AGENT_RUNNER_TEST_AWS_ENDPOINT;
  if (given) return { endpoints: [given], stop: async () => {} };
  const choice = await chooseEmulator(requestedEmulator(process.env.AGENT_RUNNER_TEST_EMULATOR), probeDocker);
  if (choice.note) process.stderr.write(`agent-runner tests: ${choice.note}\n`);
  if (choice.emulator === 'localstack') {
    const localstack = await startLocalStack();
    process.stderr.write(`agent-runner tests: LocalStack (AWS emulator, testcontainers) on ${localstack.url}\n`);
    return { endpoints: [localstack.url], stop: localstack.stop };
  }
  // One moto per test process: moto serves one request at a time on one core, and three files
  // sharing one server queued behind each other (the aws e2e suites are moto-bound).
  const count = testWorkers();
  ensureMotoInstalled(); // once, before servers start side by side
  const servers = await Promise.all(Array.from({ length: count }, () => startMoto()));
  process.stderr.write(`agent-runner tests: moto (AWS emulator) on ${servers.map((s) => s.url).join(', ')}\n`);
  return { endpoints: servers.map((s) => s.url), stop: async () => void (await Promise.all(servers.map((s) => stopChild(s.child)))) };
}
