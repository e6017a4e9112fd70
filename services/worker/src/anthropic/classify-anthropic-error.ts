import { AnthropicError, APIConnectionError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import type { ErrorType } from '@anthropic-ai/sdk/resources/shared';
import { FatalError, RetryableError } from '@agent-runner/shared/domain/errors.ts';

export type AnthropicFailureKind = 'retryable' | 'fatal';

/**
 * Whether another attempt could succeed where this SDK error failed, decided by the error's class,
 * HTTP status and API error type — never its message. By the time an error reaches us the SDK has
 * already retried it as often as `maxRetries` allows (408, 409, 429, 5xx and connection errors),
 * honouring `retry-after`.
 */
export function anthropicFailureKind(error: AnthropicError): AnthropicFailureKind {
  // APIConnectionTimeoutError is an APIConnectionError; a user abort only happens when the job's
  // signal fired, and the worker classifies that by its cause (timeout / cancelled).
  if (error instanceof APIConnectionError || error instanceof APIUserAbortError) return 'retryable';
  if (error instanceof APIError) {
    if (error.status !== undefined) return kindOfStatus(error.status);
    // An `event: error` inside a 200 stream has no status, only the API's error type.
    return error.type === null ? 'retryable' : kindOfErrorType(error.type);
  }
  // Anything else the SDK raises while reading a stream (a connection cut mid-body, a stream that
  // ended before message_stop) is a transport failure.
  return 'retryable';
}

function kindOfStatus(status: number): AnthropicFailureKind {
  if (status >= 500) return 'retryable'; // 500 api_error, 503, 504, 529 overloaded_error
  switch (status) {
    case 408: // request timeout
    case 409: // lock timeout (the SDK retries these too)
    case 429: // rate_limit_error
    case 499: // the connection was closed before the API answered
      return 'retryable';
    default:
      // 400 invalid_request_error, 401 authentication_error, 402 billing_error, 403
      // permission_error, 404 not_found_error, 413 request_too_large, 422, …: the same request
      // fails the same way again.
      return 'fatal';
  }
}

function kindOfErrorType(type: ErrorType): AnthropicFailureKind {
  switch (type) {
    case 'rate_limit_error':
    case 'overloaded_error':
    case 'api_error':
    case 'timeout_error':
    case 'conflict_error':
      return 'retryable';
    case 'invalid_request_error':
    case 'authentication_error':
    case 'billing_error':
    case 'permission_error':
    case 'not_found_error':
    case 'memory_precondition_failed_error':
    case 'memory_path_conflict_error':
      return 'fatal';
    default: {
      // A type newer than this SDK: most likely a transient server-side condition.
      const unknown: never = type;
      void unknown;
      return 'retryable';
    }
  }
}

/** A one-line description for the job's error: status, API error type, the provider's message, request id. */
export function describeAnthropicError(error: AnthropicError): string {
  if (error instanceof APIConnectionError) return `could not reach the Anthropic API: ${error.message}`;
  if (error instanceof APIError) {
    const parts = ['Anthropic API'];
    if (error.status !== undefined) parts.push(String(error.status));
    if (error.type !== null) parts.push(error.type);
    let text = `${parts.join(' ')}: ${error.apiMessage ?? error.message}`;
    if (error.requestID) text += ` (request ${error.requestID})`;
    return text;
  }
  return `Anthropic API stream failed: ${error.message}`;
}

/**
 * The error a handler throws for an SDK error: RetryableError or FatalError keeping the SDK error
 * as `cause`. Errors that are not the SDK's pass through unchanged.
 */
export function toRunnerError(error: unknown): unknown {
  if (!(error instanceof AnthropicError)) return error;
  const message = describeAnthropicError(error);
  return anthropicFailureKind(error) === 'retryable'
    ? new RetryableError(message, { cause: error })
    : new FatalError(message, { cause: error });
}
