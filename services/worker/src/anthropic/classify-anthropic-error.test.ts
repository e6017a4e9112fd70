import assert from 'node:assert/strict';
import { test } from 'vitest';
import {
  AnthropicError,
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  RetryableError as SdkRetryableError,
} from '@anthropic-ai/sdk';
import { FatalError, RetryableError } from '@agent-runner/shared/domain/errors.ts';
import { anthropicFailureKind, describeAnthropicError, toRunnerError } from './classify-anthropic-error.ts';

/** An SDK error for an HTTP response, built the way the SDK builds it (the class follows the status). */
function httpError(status: number, type: string, message = 'provider says no'): APIError {
  const headers = new Headers({ 'request-id': 'req_123' });
  return APIError.generate(status, { type: 'error', error: { type, message } }, undefined, headers);
}

/** An `event: error` inside a 200 stream, as core/streaming.ts raises it. */
function streamError(type: string): APIError {
  return new APIError(undefined, { type: 'error', error: { type, message: 'mid-stream' } }, undefined, new Headers());
}

const STATUS_TABLE: [status: number, sdkClass: string, type: string, kind: 'retryable' | 'fatal'][] = [
  [400, 'BadRequestError', 'invalid_request_error', 'fatal'],
  [401, 'AuthenticationError', 'authentication_error', 'fatal'],
  [402, 'PaymentRequiredError', 'billing_error', 'fatal'],
  [403, 'PermissionDeniedError', 'permission_error', 'fatal'],
  [404, 'NotFoundError', 'not_found_error', 'fatal'],
  [408, 'RequestTimeoutError', 'timeout_error', 'retryable'],
  [409, 'ConflictError', 'conflict_error', 'retryable'],
  [413, 'ContentTooLargeError', 'request_too_large', 'fatal'],
  [422, 'UnprocessableEntityError', 'invalid_request_error', 'fatal'],
  [429, 'RateLimitError', 'rate_limit_error', 'retryable'],
  [499, 'ClientClosedRequestError', 'api_error', 'retryable'],
  [500, 'InternalServerError', 'api_error', 'retryable'],
  [503, 'ServiceUnavailableError', 'api_error', 'retryable'],
  [504, 'GatewayTimeoutError', 'timeout_error', 'retryable'],
  [529, 'OverloadedError', 'overloaded_error', 'retryable'],
  [418, 'APIError', 'invalid_request_error', 'fatal'],
];

for (const [status, sdkClass, type, kind] of STATUS_TABLE) {
  test(`HTTP ${status} (${sdkClass}) is ${kind}`, () => {
    const error = httpError(status, type);
    assert.equal(error.constructor.name, sdkClass);
    assert.equal(anthropicFailureKind(error), kind);
    const wrapped = toRunnerError(error);
    assert.ok(wrapped instanceof (kind === 'retryable' ? RetryableError : FatalError));
    assert.equal((wrapped as Error).cause, error);
  });
}

const STREAM_TABLE: [type: string, kind: 'retryable' | 'fatal'][] = [
  ['overloaded_error', 'retryable'],
  ['api_error', 'retryable'],
  ['rate_limit_error', 'retryable'],
  ['timeout_error', 'retryable'],
  ['invalid_request_error', 'fatal'],
  ['authentication_error', 'fatal'],
  ['billing_error', 'fatal'],
  ['permission_error', 'fatal'],
  ['not_found_error', 'fatal'],
  ['some_future_error', 'retryable'],
];

for (const [type, kind] of STREAM_TABLE) {
  test(`a mid-stream ${type} event is ${kind}`, () => {
    assert.equal(anthropicFailureKind(streamError(type)), kind);
  });
}

test('connection failures, timeouts, aborts and stream breakage are retryable', () => {
  assert.equal(anthropicFailureKind(new APIConnectionError({ message: 'ECONNREFUSED' })), 'retryable');
  assert.equal(anthropicFailureKind(new APIConnectionTimeoutError()), 'retryable');
  assert.equal(anthropicFailureKind(new APIUserAbortError()), 'retryable');
  assert.equal(anthropicFailureKind(new AnthropicError('stream ended without producing a Message')), 'retryable');
  assert.equal(anthropicFailureKind(new SdkRetryableError()), 'retryable');
});

test("a fatal error's message carries the status, type, provider message and request id", () => {
  const wrapped = toRunnerError(httpError(400, 'invalid_request_error', 'max_tokens: must be at most 128000'));
  assert.ok(wrapped instanceof FatalError);
  assert.equal(wrapped.message, 'Anthropic API 400 invalid_request_error: max_tokens: must be at most 128000 (request req_123)');
  assert.equal(describeAnthropicError(new APIConnectionTimeoutError()), 'could not reach the Anthropic API: Request timed out.');
});

test('errors that are not the SDK’s pass through unchanged', () => {
  const mine = new FatalError('bad payload');
  assert.equal(toRunnerError(mine), mine);
  const plain = new TypeError('bug');
  assert.equal(toRunnerError(plain), plain);
});
