import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * One JSON-lines logger per service. Bind `job_id`, `attempt`, `task_arn` with `.child()` where
 * known. Payloads and secrets are never passed to a logger; `redact` is the backstop.
 */
export function createLogger(service: string, level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ['payload', '*.payload', 'apiKey', '*.apiKey', 'headers.authorization', 'headers["x-api-key"]'],
        censor: '[redacted]',
      },
    },
    destination ?? pino.destination({ fd: 1, sync: false }),
  );
}
