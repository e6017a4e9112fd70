import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { RequestTimeoutError } from './net-errors.ts';
import { publicLookup, resolvePublicAddresses, type ResolveHost } from './public-lookup.ts';

export interface PublicRequestOptions {
  /** Default `GET`. */
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** For the whole exchange: connecting, the response's headers and the part of its body read. */
  timeoutMs: number;
  /** Body bytes read at most; the rest is not read (`truncated: true`) and the connection is closed. */
  maxBodyBytes: number;
  /** Connect to non-public addresses too (local development, tests). */
  allowPrivate: boolean;
  /** Ends the request early; its reason is what the returned promise rejects with. */
  signal?: AbortSignal;
  /** How host names resolve; the system resolver unless a test says otherwise. */
  resolve?: ResolveHost;
}

export interface PublicResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Uint8Array;
  truncated: boolean;
  /** The address connected to. */
  address: string;
}

/**
 * One HTTP(S) request to a URL whose host must be public (see public-address.ts), checked on the
 * address the connection is made to, after DNS. Redirects are never followed: a 3xx is returned as
 * it is, and a caller that follows one sends a new request, checked again. Rejects with
 * NonPublicAddressError (nothing connected), RequestTimeoutError, the signal's reason, or the
 * network error.
 */
export async function requestPublicUrl(url: URL, options: PublicRequestOptions): Promise<PublicResponse> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`only http and https URLs, not ${url.protocol}`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  // net.connect calls no lookup for an IP literal, so a literal is checked here instead.
  if (isIP(host) !== 0) await resolvePublicAddresses(host, options);
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  signal.throwIfAborted();
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  try {
    return await new Promise<PublicResponse>((resolve, reject) => {
      const req = request(url, {
        method: options.method ?? 'GET',
        headers: options.headers,
        // A fresh connection per request: a pooled socket would skip the lookup (and its check).
        agent: false,
        lookup: publicLookup(options),
      });
      const stop = () => {
        req.destroy(signal.reason);
        reject(signal.reason);
      };
      signal.addEventListener('abort', stop, { once: true });
      req.on('error', (error) => {
        signal.removeEventListener('abort', stop);
        reject(error);
      });
      req.on('response', (res) => {
        const address = res.socket?.remoteAddress ?? '';
        readCapped(res, options.maxBodyBytes).then(
          ({ body, truncated }) => {
            signal.removeEventListener('abort', stop);
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body, truncated, address });
          },
          (error: unknown) => {
            signal.removeEventListener('abort', stop);
            reject(error);
          },
        );
      });
      req.end(options.body);
    });
  } catch (error) {
    if (timeout.aborted && !options.signal?.aborted) throw new RequestTimeoutError(url.host, options.timeoutMs);
    throw error;
  }
}

async function readCapped(res: IncomingMessage, maxBytes: number): Promise<{ body: Uint8Array; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    const room = maxBytes - size;
    if (chunk.byteLength > room) {
      chunks.push(chunk.subarray(0, room));
      size += room;
      truncated = true;
      break;
    }
    chunks.push(chunk);
    size += chunk.byteLength;
  }
  // Leaving the loop early destroys the response and its socket: the rest is never read.
  return { body: new Uint8Array(Buffer.concat(chunks, size)), truncated };
}
