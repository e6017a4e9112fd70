/**
 * Errors are values with a kind. The API maps them to HTTP status codes and the scheduler maps them
 * to retry decisions; nothing matches on message strings. Defined once, here.
 */
export abstract class AgentRunnerError extends Error {
  abstract readonly kind:
    | 'validation'
    | 'unauthenticated'
    | 'forbidden'
    | 'not_found'
    | 'conflict'
    | 'unavailable'
    | 'retryable'
    | 'fatal'
    | 'quota';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad input from a caller. Changes nothing. */
export class ValidationError extends AgentRunnerError {
  readonly kind = 'validation';
  readonly status: number;
  /** A short machine-readable problem type slug, e.g. `payload-too-large`. */
  readonly problem: string;
  readonly errors: readonly { path: string; message: string }[];
  constructor(message: string, opts: { status?: number; problem?: string; errors?: readonly { path: string; message: string }[] } = {}) {
    super(message);
    this.status = opts.status ?? 400;
    this.problem = opts.problem ?? 'validation-error';
    this.errors = opts.errors ?? [];
  }
}

/** No credentials, or ones that name no usable key (unknown, revoked, malformed). */
export class AuthenticationError extends AgentRunnerError {
  readonly kind = 'unauthenticated';
}

/** Valid credentials that do not allow this (a missing scope, another tenant named). */
export class PermissionError extends AgentRunnerError {
  readonly kind = 'forbidden';
}

export class NotFoundError extends AgentRunnerError {
  readonly kind = 'not_found';
}

/** A conditional write found a state other than the one expected: someone else got there first. */
export class ConflictError extends AgentRunnerError {
  readonly kind = 'conflict';
}

/** A dependency (queue, store) could not be reached; the caller may try again later. */
export class UnavailableError extends AgentRunnerError {
  readonly kind = 'unavailable';
}

/** A failure that may succeed on another attempt: throttling, capacity, 429/529/5xx, a lost worker. */
export class RetryableError extends AgentRunnerError {
  readonly kind = 'retryable';
}

/** A failure that another attempt would repeat: bad payload, unknown job type, handler bug. */
export class FatalError extends AgentRunnerError {
  readonly kind = 'fatal';
}

/** Which of a tenant's quotas refused a request (the problem type's slug). */
export type QuotaProblem = 'rate-limited' | 'too-many-queued' | 'budget-exhausted';

/**
 * A tenant's quota refuses the request: it submits too fast, has too many jobs waiting, or has
 * spent its daily budget. Changes nothing; `retryAfterSeconds` says when trying again can succeed,
 * `headers` what else the answer carries (the rate-limit fields).
 */
export class QuotaExceededError extends AgentRunnerError {
  readonly kind = 'quota';
  readonly problem: QuotaProblem;
  readonly retryAfterSeconds: number;
  readonly headers: Readonly<Record<string, string>>;
  constructor(message: string, opts: { problem: QuotaProblem; retryAfterSeconds: number; headers?: Record<string, string> }) {
    super(message);
    this.problem = opts.problem;
    this.retryAfterSeconds = opts.retryAfterSeconds;
    this.headers = opts.headers ?? {};
  }
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
