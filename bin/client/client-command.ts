import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { ApiRefusedError, ApiUnreachableError, createApiClient, type ApiClient } from './api-client.ts';

/** The client commands' exit codes. */
export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3 } as const;

export const DEFAULT_API_URL = 'http://127.0.0.1:8000';

/** Options every client command takes. */
export const CLIENT_OPTIONS = {
  api: { type: 'string' },
  'api-key': { type: 'string' },
  json: { type: 'boolean', default: false },
} as const satisfies ParseArgsOptionsConfig;

export const CLIENT_OPTIONS_USAGE = `  --api URL          the API's base URL (default AGENT_RUNNER_API_URL, else ${DEFAULT_API_URL})
  --api-key KEY      the API key, sent as Authorization: Bearer (default AGENT_RUNNER_API_KEY; none when the API runs with auth off)
  --json             print the API's JSON instead of text (for scripts)

Exit codes: 0 ok, 1 the operation or the job failed, 2 usage error, 3 API unreachable.`;

/** Wrong arguments: the command prints the message and its usage, and exits 2. */
export class UsageError extends Error {
  readonly kind = 'usage';
}

/** parseArgs with the client options, turning its errors into UsageError and checking the positional count. */
export function parseCommandArgs<T extends ParseArgsOptionsConfig>(
  argv: string[],
  options: T,
  positionals: { names: string[]; optional?: number },
) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...CLIENT_OPTIONS, ...options }, allowPositionals: true, strict: true });
  } catch (error) {
    if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) throw new UsageError((error as Error).message);
    throw error;
  }
  const required = positionals.names.length - (positionals.optional ?? 0);
  if (parsed.positionals.length < required) throw new UsageError(`missing ${positionals.names.slice(parsed.positionals.length).join(' ')}`);
  if (parsed.positionals.length > positionals.names.length)
    throw new UsageError(`unexpected argument "${parsed.positionals[positionals.names.length]}"`);
  return parsed;
}

/** The client for --api, else AGENT_RUNNER_API_URL, else the default; with --api-key, else AGENT_RUNNER_API_KEY. */
export function clientFor(apiFlag: string | undefined, env: Record<string, string | undefined>, apiKeyFlag?: string): ApiClient {
  const url = apiFlag ?? (env.AGENT_RUNNER_API_URL || DEFAULT_API_URL);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--api / AGENT_RUNNER_API_URL must be an http(s) URL, got "${url}"`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new UsageError(`--api / AGENT_RUNNER_API_URL must be an http(s) URL, got "${url}"`);
  const apiKey = apiKeyFlag ?? (env.AGENT_RUNNER_API_KEY || undefined);
  return createApiClient(url, apiKey !== undefined ? { apiKey } : {});
}

/** A positive integer option, or UsageError naming it. */
export function integerOption(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max)
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${value}"`);
  return n;
}

/** Runs a client command's body and maps what it throws to an exit code and one message on stderr. */
export async function runClientCommand(name: string, usage: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`agent-runner ${name}: ${error.message}\n\n${usage}\n`);
      return EXIT.usage;
    }
    if (error instanceof ApiUnreachableError) {
      process.stderr.write(`agent-runner ${name}: ${error.message}\n`);
      return EXIT.unreachable;
    }
    if (error instanceof ApiRefusedError) {
      process.stderr.write(`agent-runner ${name}: ${error.message}\n`);
      return EXIT.failed;
    }
    throw error;
  }
}

/** Pretty JSON on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
