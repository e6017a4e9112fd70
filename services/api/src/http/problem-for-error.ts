import { STATUS_CODES } from 'node:http';
import { AgentRunnerError, QuotaExceededError, ValidationError } from '@agent-runner/shared/domain/errors.ts';
import type { FieldError } from '../schemas/problem.ts';
import { MAX_LISTED_ERRORS } from '@agent-runner/shared/validation/field-errors.ts';

/** A problem before it is tied to a request (RFC 9457 §3.1 members, less `instance`). */
export interface ProblemOutline {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
  /** Response headers that belong with this problem (Retry-After, RateLimit); never in the body. */
  headers?: Record<string, string>;
  more_errors?: number;
}

/** Problem types are URNs: stable names that need no hosted document (RFC 9457 §3.1.1 allows that). */
export function problemType(slug: string): string {
  return `urn:agent-runner:problem:${slug}`;
}

const TITLES: Readonly<Record<string, string>> = {
  'invalid-json': 'Malformed JSON',
  'payload-too-large': 'Content too large',
};

/** `unknown-job-type` → `Unknown job type`: one title per type, the same for every occurrence. */
function titleOf(slug: string): string {
  const words = slug.replaceAll('-', ' ');
  return TITLES[slug] ?? words.charAt(0).toUpperCase() + words.slice(1);
}

/** A problem the status code says it all about (RFC 9457 §4.2.1: `about:blank`, title = reason phrase). */
export function problemForStatus(status: number, detail: string): ProblemOutline {
  return { type: 'about:blank', title: STATUS_CODES[status] ?? 'Error', status, detail };
}

/**
 * What the client is told about an error. Errors are mapped by their kind, never by message. A 4xx
 * says exactly what was wrong; a 5xx says nothing of the cause (that goes to the log, under the
 * request id the client is given).
 */
export function problemForError(error: unknown): ProblemOutline {
  if (error instanceof ValidationError) {
    return {
      type: problemType(error.problem),
      title: titleOf(error.problem),
      status: error.status,
      detail: error.message,
      ...(error.errors.length > 0 && { errors: error.errors.slice(0, MAX_LISTED_ERRORS) }),
      ...(error.errors.length > MAX_LISTED_ERRORS && { more_errors: error.errors.length - MAX_LISTED_ERRORS }),
    };
  }
  if (error instanceof QuotaExceededError) {
    // 429 for every quota, the daily budget too: clients and proxies know to back off on it, and
    // Retry-After says when (RFC 6585 §4); 402 is "reserved for future use" (RFC 9110 §15.5.3).
    return {
      type: problemType(error.problem),
      title: titleOf(error.problem),
      status: 429,
      detail: error.message,
      headers: { ...error.headers, 'Retry-After': String(error.retryAfterSeconds) },
    };
  }
  if (error instanceof AgentRunnerError) {
    switch (error.kind) {
      case 'unauthenticated':
        return { type: problemType('unauthorized'), title: 'Unauthorized', status: 401, detail: error.message };
      case 'forbidden':
        return { type: problemType('forbidden'), title: 'Forbidden', status: 403, detail: error.message };
      case 'not_found':
        return { type: problemType('not-found'), title: 'Not found', status: 404, detail: error.message };
      case 'conflict':
        return { type: problemType('conflict'), title: 'Conflict', status: 409, detail: error.message };
      case 'unavailable':
        return problemForStatus(
          503,
          'a service this API depends on is unavailable; nothing was changed if the request failed, try again later',
        );
      case 'quota':
      case 'validation':
      case 'retryable':
      case 'fatal':
        break;
    }
  }
  // koa's own errors (http-errors) carry a status and say whether their message may be shown.
  if (isExposedHttpError(error)) return problemForStatus(error.status, error.message);
  return problemForStatus(500, 'an unexpected error occurred; it has been logged');
}

function isExposedHttpError(error: unknown): error is { status: number; message: string } {
  if (typeof error !== 'object' || error === null) return false;
  const { status, expose, message } = error as { status?: unknown; expose?: unknown; message?: unknown };
  return typeof status === 'number' && status >= 400 && status < 500 && expose === true && typeof message === 'string';
}
