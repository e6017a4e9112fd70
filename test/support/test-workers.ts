/**
 * How many test files run at once (vitest's maxWorkers), and so how many moto servers the global
 * setup starts: one per test process. AGENT_RUNNER_TEST_WORKERS, default 3: the files wait on
 * timers, child processes and the emulator more than they compute, so three keep two cores busy.
 */
export function testWorkers(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.AGENT_RUNNER_TEST_WORKERS ?? '3';
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 16)
    throw new Error(`AGENT_RUNNER_TEST_WORKERS must be an integer from 1 to 16, not ${JSON.stringify(raw)}`);
  return n;
}
