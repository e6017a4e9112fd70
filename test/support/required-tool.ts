import { existsSync } from 'node:fs';

/**
 * For a suite that needs a program the machine may lack (Chromium, Prometheus): `true` when it is
 * missing and the suite should be skipped, with one line on stderr saying what to install. Under
 * CI=true a missing program is an error instead, failing the file: CI must not go green without the
 * suites that need it (.ci/run installs both).
 */
export function skipWithout(
  path: string,
  install: string,
  env: NodeJS.ProcessEnv = process.env,
  say: (line: string) => void = (line) => process.stderr.write(line),
): boolean {
  if (existsSync(path)) return false;
  const line = `${path} not found (${install})`;
  if (env.CI === 'true') throw new Error(`${line}; under CI=true the suites that need it fail instead of skipping`);
  say(`agent-runner tests: skipped, ${line}\n`);
  return true;
}
