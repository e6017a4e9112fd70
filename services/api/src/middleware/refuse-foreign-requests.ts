import type { Middleware } from 'koa';
import type { Config } from '@agent-runner/shared/config/config.ts';
import { ValidationError } from '@agent-runner/shared/domain/errors.ts';

/**
 * Refuses what a web page the user happens to open could send: a request naming a host this API
 * does not answer to (DNS rebinding: evil.example re-resolved to 127.0.0.1 reaches a local
 * instance as a "same-origin" page) and a request from a page of another origin (a cross-site form
 * or fetch that would submit or cancel jobs with the user's network position). A browser always
 * sends Origin on such requests; scripts and the CLI send none and are not affected.
 */
export function refuseForeignRequests(http: Config['http']): Middleware {
  return async (ctx, next) => {
    const host = ctx.get('Host');
    if (http.allowedHosts !== null && !http.allowedHosts.includes(hostnameOf(host))) {
      throw new ValidationError(
        `this API does not answer to the host name in "Host: ${host}"; AGENT_RUNNER_ALLOWED_HOSTS lists those it does`,
        {
          status: 421,
          problem: 'unknown-host',
        },
      );
    }
    const origin = ctx.get('Origin');
    if (origin !== '' && !isSameOrigin(origin, host) && !http.allowedOrigins.includes(origin)) {
      throw new ValidationError(
        `requests from pages at "${origin}" are refused; AGENT_RUNNER_ALLOWED_ORIGINS lists the origins that may call this API`,
        {
          status: 403,
          problem: 'origin-not-allowed',
        },
      );
    }
    await next();
  };
}

/** `Host: [::1]:8000` → `::1`, `Host: LocalHost.:8000` → `localhost`; '' when absent. */
export function hostnameOf(host: string): string {
  const lower = host.trim().toLowerCase();
  if (lower.startsWith('[')) return lower.slice(1, lower.includes(']') ? lower.indexOf(']') : undefined);
  return lower.replace(/:\d*$/, '').replace(/\.$/, '');
}

/** The dashboard's own requests: the page's origin is this API's, as the Host header names it. */
function isSameOrigin(origin: string, host: string): boolean {
  if (!URL.canParse(origin) || host === '') return false;
  const page = new URL(origin);
  if (page.origin !== origin || (page.protocol !== 'http:' && page.protocol !== 'https:')) return false;
  // Parsed with the page's scheme, so `Host: x:80` and `http://x` compare equal (default ports).
  return URL.canParse(`${page.protocol}//${host}`) && new URL(`${page.protocol}//${host}`).host === page.host;
}
