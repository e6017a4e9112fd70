import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '@agent-runner/shared/observability/logger.ts';
import type { Problem } from '../schemas/problem.ts';
import { problemType } from './problem-for-error.ts';

/** Node's parser and timeout errors (http `clientError`), as the status and problem they are. */
const KNOWN: Readonly<Record<string, { status: number; slug: string; detail: string }>> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    slug: 'headers-too-large',
    detail: 'the request line and headers are larger than 16 KB (a long query string counts); send less, or put it in a body',
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    slug: 'request-timeout',
    detail: 'the request did not arrive in time (AGENT_RUNNER_HEADERS_TIMEOUT_SECONDS / AGENT_RUNNER_REQUEST_TIMEOUT_SECONDS)',
  },
  HPE_INVALID_METHOD: { status: 501, slug: 'unknown-method', detail: 'the request method is not an HTTP method this server knows' },
};

/**
 * The answer to a request Node's HTTP parser refused before any middleware saw it (malformed,
 * headers too large, too slow): a problem+json like every other error, instead of Node's bare
 * status line. Written straight to the socket (there is no request object yet), then closed.
 */
export function answerClientError(log: Logger): (error: Error & { code?: string }, socket: Duplex) => void {
  return (error, socket) => {
    // A connection reset or a socket already answering has no one to tell.
    const busy = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
    if (error.code === 'ECONNRESET' || !socket.writable || busy) {
      socket.destroy();
      return;
    }
    const known = KNOWN[error.code ?? ''] ?? { status: 400, slug: 'malformed-request', detail: 'the request is not well-formed HTTP/1.1' };
    const requestId = randomUUID();
    const problem: Problem = {
      type: problemType(known.slug),
      title: STATUS_CODES[known.status] ?? 'Error',
      status: known.status,
      detail: known.detail,
      instance: '',
      request_id: requestId,
    };
    const body = JSON.stringify(problem);
    socket.end(
      `HTTP/1.1 ${known.status} ${STATUS_CODES[known.status] ?? ''}\r\n` +
        'Content-Type: application/problem+json\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${requestId}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
    log.info(
      { request_id: requestId, status: known.status, problem: problem.type, code: error.code },
      'request refused by the HTTP parser',
    );
  };
}
