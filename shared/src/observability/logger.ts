import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import type pinoPretty from 'pino-pretty';

export type { Logger };

export interface LoggerOptions {
  /** Where JSON lines go; default standard output. */
  destination?: NodeJS.WritableStream;
  /**
   * Human-readable lines instead of JSON. Default: when standard output is a terminal and no
   * destination is given — a person is reading; a log shipper or a file always gets JSON.
   */
  pretty?: boolean;
}

/**
 * One JSON-lines logger per service. Bind `job_id`, `attempt`, `task_arn` with `.child()` where
 * known. Payloads and secrets are never passed to a logger; `redact` is the backstop.
 */
export function createLogger(service: string, level: string, options: LoggerOptions = {}): Logger {
  return createProcessLogger(level, options).child({ service });
}

/**
 * A logger that names no service, for a process that runs several (`agent-runner start`): each
 * service gets `.child({ service })` of it, and all share one output stream. Never bind `service`
 * under a logger that already has one: pino appends bindings, so the line would carry the key twice
 * (`{"service":"agent-runner","service":"api"}`), which JSON tools read differently (first or last wins).
 */
export function createProcessLogger(level: string, options: LoggerOptions = {}): Logger {
  const settings = {
    level,
    // null: no pid or hostname (pino's default base) on every line; the service is bound by the child.
    base: null,
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: [
        'payload',
        '*.payload',
        'apiKey',
        '*.apiKey',
        'authorization',
        '*.authorization',
        'headers.authorization',
        'headers["x-api-key"]',
      ],
      censor: '[redacted]',
    },
  };
  const wantsPretty = options.pretty ?? (options.destination === undefined && process.stdout.isTTY === true);
  if (wantsPretty) {
    // Loaded only for a person at a terminal: a worker (one per job) does not pay for it. In-process
    // and synchronous (not a worker-thread transport): nothing is lost at exit.
    const pretty = createRequire(import.meta.url)('pino-pretty') as typeof pinoPretty;
    const stream = pretty({
      destination: options.destination ?? 1,
      sync: true,
      colorize: options.destination === undefined,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname',
    });
    return pino(settings, stream);
  }
  return pino(settings, options.destination ?? pino.destination({ fd: 1, sync: false }));
}
