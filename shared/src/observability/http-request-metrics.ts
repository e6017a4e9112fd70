import type { Middleware } from 'koa';
import { UNMATCHED_ROUTE, type AgentRunnerMetrics } from './metrics.ts';

export interface HttpRequestMetricsOptions {
  /** Milliseconds from a monotonic clock. Default: performance.now. */
  now?: () => number;
}

/**
 * Koa middleware timing every request into agent_runner_http_request_duration_seconds, labelled by
 * the route template @koa/router matched (`/jobs/:id`, from `ctx._matchedRoute`) — never the raw
 * path, whose ids would make a series per job — or `unmatched`.
 *
 * Use it as the app's first middleware, outside the one that turns errors into responses, so the
 * status it records is the one the client got. An event stream is timed until its headers are set,
 * not until it ends.
 */
export function httpRequestMetrics(metrics: AgentRunnerMetrics, options: HttpRequestMetricsOptions = {}): Middleware {
  const now = options.now ?? (() => performance.now());
  return async (ctx, next) => {
    const started = now();
    const record = (status: number) => {
      const matched = (ctx as { _matchedRoute?: string | RegExp })._matchedRoute;
      const route = matched === undefined ? UNMATCHED_ROUTE : String(matched);
      metrics.httpRequestAnswered({ method: ctx.method, route, status }, (now() - started) / 1000);
    };
    try {
      await next();
    } catch (error) {
      // Only reached when something inside maps errors to statuses no better than koa would.
      record(statusOfError(error));
      throw error;
    }
    record(ctx.status);
  };
}

function statusOfError(error: unknown): number {
  const status =
    (error as { status?: unknown; statusCode?: unknown } | null)?.status ?? (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status <= 599 ? status : 500;
}
