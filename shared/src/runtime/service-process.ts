import { ConfigError, loadConfig, type Config } from '../config/config.ts';
import { pooledTypesProblems } from '../job-types/isolation.ts';

/**
 * The configuration for a service's `main`, or null after telling the operator on stderr which
 * variable is wrong (the caller then exits 2). Anything but a ConfigError is a bug and is thrown.
 */
export function loadConfigOrReport(env: Record<string, string | undefined>, command: string): Config | null {
  try {
    const config = loadConfig(env);
    // Checked against the job-type catalogue, which the config module must not depend on: that would close a circle.
    const problems = pooledTypesProblems(config);
    if (problems.length > 0) throw new ConfigError(problems);
    return config;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${command}: ${error.message}\n`);
    return null;
  }
}

/** Resolves on the first SIGINT (Ctrl-C) or SIGTERM (docker stop, ECS), the signals to stop on. */
export function untilStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
