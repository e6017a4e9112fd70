import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { startApi } from '@agent-runner/api/main.ts';
import type { Backend } from '@agent-runner/shared/compose/backend.ts';
import { createBackend } from '@agent-runner/shared/compose/create-backend.ts';
import { loadConfig, type Config } from '@agent-runner/shared/config/config.ts';
import type { Clock, IdSource } from '@agent-runner/shared/domain/ids.ts';
import { createLogger } from '@agent-runner/shared/observability/logger.ts';

export interface ApiUnderTest {
  url: string;
  config: Config;
  backend: Backend;
  /** Every JSON log line the API wrote so far. */
  logs: Record<string, unknown>[];
  /** Another API server on the same backend, with some of its parts replaced; its URL. */
  startVariant(replace: (backend: Backend) => Backend, options?: { newId?: IdSource }): Promise<string>;
  /** What a request could have changed: every job (id, status, version) and the queue depth. */
  snapshot(): Promise<unknown>;
  stop(): Promise<void>;
}

/**
 * A clock that moves 1 ms per reading. ULIDs order by millisecond only, so jobs created within one
 * millisecond would list in random order; the real server gets this clock to make "newest first"
 * checkable without sleeping.
 */
function tickingClock(): Clock {
  let ms = Date.now();
  return { now: () => new Date(ms++) };
}

/** A real API server on a free port over the real embedded backend in a fresh data dir. */
export async function startApiUnderTest(env: Record<string, string> = {}): Promise<ApiUnderTest> {
  const dataDir = mkdtempSync(join(tmpdir(), 'agent-runner-api-'));
  const config = loadConfig({ AGENT_RUNNER_DATA_DIR: dataDir, AGENT_RUNNER_PORT: '0', ...env });
  const backend = await createBackend(config);
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const log = createLogger('api-test', 'debug', { destination: sink });
  const clock = tickingClock();
  const servers = [await startApi(config, backend, log, { clock })];

  return {
    url: servers[0]!.url,
    config,
    backend,
    logs,
    async startVariant(replace, options = {}) {
      const server = await startApi(config, replace(backend), log, { clock, ...options });
      servers.push(server);
      return server.url;
    },
    async snapshot() {
      const { jobs } = await backend.jobs.list({ limit: 100 });
      return { jobs: jobs.map((j) => `${j.jobId} ${j.status} v${j.version}`), depth: await backend.queue.depth() };
    },
    async stop() {
      await Promise.all(servers.map((s) => s.close()));
      await backend.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const PROBLEM_JSON = 'application/problem+json';

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}
