/**
 * A worker stand-in for launcher tests: a real process that prints how it was invoked (its pid and
 * environment, one JSON line), stays up STAND_IN_SLEEP_MS (default 0) and exits with
 * STAND_IN_EXIT_CODE (default 0). Run as `node test/support/stand-in-worker.ts`.
 */
const sleepMs = Number(process.env.STAND_IN_SLEEP_MS ?? 0);
const exitCode = Number(process.env.STAND_IN_EXIT_CODE ?? 0);
process.stdout.write(`${JSON.stringify({ pid: process.pid, env: process.env })}\n`);
setTimeout(() => {
  process.exitCode = exitCode;
}, sleepMs);
