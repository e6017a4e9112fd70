import { z } from 'zod';
import type { HandlerContext } from '../job-handler.ts';
import { NonPublicAddressError, RequestTimeoutError } from '@agent-runner/shared/net/net-errors.ts';
import { requestPublicUrl } from '@agent-runner/shared/net/public-request.ts';
import { defineTool, ToolError, type RegisteredTool } from './agent-tool.ts';

export interface HttpGetLimits {
  /** Bytes of body read at most; the rest is cut off (`truncated: true`). */
  maxBytes: number;
  /** For the whole fetch, redirects included. */
  timeoutMs: number;
  maxRedirects: number;
}

/** 100 KB is ~25k tokens: as much as one tool result should add to a conversation. */
export const DEFAULT_HTTP_GET_LIMITS: HttpGetLimits = { maxBytes: 100_000, timeoutMs: 10_000, maxRedirects: 3 };

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const TEXTUAL = /^(text\/|application\/([\w.+-]*\+)?(json|xml|javascript|x-www-form-urlencoded))/i;

/**
 * Whether `hostname` is on the allow-list: an exact host name, or a `*.example.com` entry for
 * that domain's subdomains. Redirects are checked too, so an allowed host cannot bounce the
 * request elsewhere.
 */
export function isAllowedHost(hostname: string, allowed: readonly string[]): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  return allowed.some((entry) => {
    const e = entry.toLowerCase().replace(/\.$/, '');
    return e.startsWith('*.') ? host.endsWith(e.slice(1)) && host.length > e.length - 1 : host === e;
  });
}

function checkUrl(raw: string, allowed: readonly string[]): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ToolError(`"${raw}" is not an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ToolError(`only http and https URLs can be fetched, not ${url.protocol}`);
  if (url.username || url.password) throw new ToolError('URLs with credentials are not fetched');
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!isAllowedHost(host, allowed)) {
    throw new ToolError(
      `host "${host}" is not on the http_get allow-list${allowed.length > 0 ? ` (${allowed.join(', ')})` : ' (it is empty)'}`,
    );
  }
  return url;
}

async function fetchAllowed(start: URL, ctx: HandlerContext, limits: HttpGetLimits) {
  const { httpGetAllowedHosts: allowed, httpGetAllowPrivate: allowPrivate } = ctx.config.tools;
  const deadline = Date.now() + limits.timeoutMs;
  let url = start;
  try {
    for (let hop = 0; ; hop++) {
      // Each hop is its own request, checked after DNS like the first: a redirect to a name that
      // resolves to a private address is refused too.
      const response = await requestPublicUrl(url, {
        headers: {
          'user-agent': 'agent-runner-http-get/1',
          accept: 'text/*, application/json, application/xml;q=0.9, */*;q=0.1',
          'accept-encoding': 'identity',
        },
        timeoutMs: Math.max(1, deadline - Date.now()),
        maxBodyBytes: limits.maxBytes,
        allowPrivate,
        signal: ctx.signal,
      });
      const location = response.headers.location;
      if (REDIRECTS.has(response.status) && location !== undefined) {
        if (hop >= limits.maxRedirects) throw new ToolError(`more than ${limits.maxRedirects} redirects`);
        url = checkUrl(new URL(location, url).href, allowed);
        continue;
      }
      const contentType = response.headers['content-type'] ?? '';
      if (contentType !== '' && !TEXTUAL.test(contentType)) {
        return {
          url: url.href,
          status: response.status,
          content_type: contentType,
          body: null,
          truncated: false,
          note: 'not a text response; body not returned',
        };
      }
      const body = new TextDecoder('utf-8').decode(response.body);
      return { url: url.href, status: response.status, content_type: contentType || null, body, truncated: response.truncated };
    }
  } catch (error) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    if (error instanceof ToolError) throw error;
    if (error instanceof NonPublicAddressError) {
      throw new ToolError(
        `${error.message}; http_get fetches public addresses only (AGENT_RUNNER_HTTP_GET_ALLOW_PRIVATE=true allows others)`,
        { cause: error },
      );
    }
    if (error instanceof RequestTimeoutError)
      throw new ToolError(`no complete response from ${url.host} within ${limits.timeoutMs / 1000} s`);
    const cause = error instanceof Error ? `: ${error.message}` : '';
    throw new ToolError(`fetching ${url.href} failed${cause}`, { cause: error });
  }
}

/**
 * GET a URL on an allowed host (AGENT_RUNNER_HTTP_GET_ALLOWED_HOSTS) that resolves to a public
 * address (unless AGENT_RUNNER_HTTP_GET_ALLOW_PRIVATE), with size, time and redirect limits.
 */
export function createHttpGetTool(limits: HttpGetLimits = DEFAULT_HTTP_GET_LIMITS): RegisteredTool {
  return defineTool({
    name: 'http_get',
    description:
      `Fetches a URL with HTTP GET and returns its status, content type and text body (at most ${limits.maxBytes} bytes). ` +
      'Only some hosts are allowed; a refused host is reported as an error.',
    inputSchema: z.strictObject({ url: z.string().min(1).max(2000).describe('an absolute http(s) URL') }),
    async run({ url }, ctx) {
      return fetchAllowed(checkUrl(url, ctx.config.tools.httpGetAllowedHosts), ctx, limits);
    },
  });
}

export const httpGetTool = createHttpGetTool();
