import type { Middleware } from 'koa';
import type { Logger } from '@agent-runner/shared/observability/logger.ts';
import { problemForError, problemForStatus, type ProblemOutline } from '../http/problem-for-error.ts';
import { requestIdFrom } from '../http/request-id.ts';
import type { Problem } from '../schemas/problem.ts';

/**
 * The first middleware: gives each request an id (echoed as X-Request-Id), turns every error —
 * thrown, or an error status with no body such as an unmatched route — into an RFC 9457
 * `application/problem+json` answer, and writes the one log line per request: a 5xx's cause is
 * logged here, and never sent.
 */
export function errorsAsProblems(log: Logger): Middleware {
  return async (ctx, next) => {
    const started = performance.now();
    const requestId = requestIdFrom(ctx.get('X-Request-Id'));
    ctx.state.requestId = requestId;
    ctx.set('X-Request-Id', requestId);
    let failure: unknown = null;
    let outline: ProblemOutline | null = null;
    try {
      await next();
      if (ctx.status >= 400 && ctx.body == null) outline = problemForStatus(ctx.status, describeStatus(ctx.status, ctx.method, ctx.path));
    } catch (error) {
      failure = error;
      outline = problemForError(error);
    }
    if (outline) {
      const { headers: problemHeaders, ...body } = outline;
      const problem: Problem = { ...body, instance: ctx.path, request_id: requestId };
      // Headers a route set before it failed (Location, …) do not describe this answer; koa's own
      // error handler clears them the same way. Connection: close (a refused body) must survive.
      const keep = { connection: ctx.response.get('Connection'), allow: ctx.response.get('Allow') };
      for (const name of ctx.res.getHeaderNames()) ctx.res.removeHeader(name);
      ctx.set('X-Request-Id', requestId);
      if (keep.connection) ctx.set('Connection', keep.connection);
      if (keep.allow) ctx.set('Allow', keep.allow);
      // A hint for clients that back off by it; an unreachable queue or store rarely lasts less.
      if (problem.status === 503) ctx.set('Retry-After', '5');
      // RFC 6750 §3: a 401 names the scheme the client should authenticate with.
      if (problem.status === 401) ctx.set('WWW-Authenticate', 'Bearer realm="agent-runner"');
      for (const [name, value] of Object.entries(problemHeaders ?? {})) ctx.set(name, value);
      ctx.status = problem.status;
      ctx.type = 'application/problem+json';
      ctx.body = problem;
    }

    const line = {
      request_id: requestId,
      method: ctx.method,
      path: ctx.path,
      status: ctx.status,
      duration_ms: Math.round(performance.now() - started),
      ...(outline && { problem: outline.type }),
    };
    if (ctx.status >= 500) log.error({ ...line, err: failure }, 'request failed');
    else if (ctx.path === '/healthz') log.debug(line, 'request');
    else log.info(line, 'request');
  };
}

function describeStatus(status: number, method: string, path: string): string {
  if (status === 404) return `nothing at ${method} ${path}`;
  if (status === 405) return `${method} is not allowed on ${path}`;
  return `${method} ${path} answered ${status}`;
}
