/**
 * A HandlerContext as the worker builds one (run-job-attempt.ts), for running a handler's `run`
 * directly: a real config from an environment, a real secret source, an AbortController whose
 * signal the handler gets, and the emitted events collected in order.
 */
import { StaticSecretSource } from '@agent-runner/shared/adapters/embedded/static-secret-source.ts';
import { loadConfig, type Config } from '@agent-runner/shared/config/config.ts';
import type { JsonObject } from '@agent-runner/shared/domain/job.ts';
import { createLogger } from '@agent-runner/shared/observability/logger.ts';
import type { SecretSource } from '@agent-runner/shared/ports/secrets.ts';
import type { HandlerContext, HandlerEvent } from '@agent-runner/worker/handlers/job-handler.ts';

export interface TestHandlerContext {
  ctx: HandlerContext;
  config: Config;
  abort: AbortController;
  events: HandlerEvent[];
  /** The `data` of every event of `type`, in order. */
  eventsOf(type: string): JsonObject[];
}

export function handlerContext(
  env: Record<string, string>,
  opts: { secrets?: SecretSource; jobType?: string; extra?: Partial<HandlerContext> } = {},
): TestHandlerContext {
  const config = loadConfig(env);
  const abort = new AbortController();
  const events: HandlerEvent[] = [];
  const ctx: HandlerContext = {
    jobId: 'job-under-test',
    attempt: 1,
    jobType: opts.jobType ?? 'test',
    workerId: 'test-worker',
    signal: abort.signal,
    log: createLogger('worker-test', process.env.AGENT_RUNNER_TEST_LOG_LEVEL ?? 'silent'),
    secrets: opts.secrets ?? new StaticSecretSource({ ANTHROPIC_API_KEY: config.anthropic.apiKey }),
    config,
    emit: (event) => void events.push(event),
    now: () => new Date(),
    ...opts.extra,
  };
  return {
    ctx,
    config,
    abort,
    events,
    eventsOf: (type) => events.filter((e) => e.type === type).map((e) => e.data as JsonObject),
  };
}
