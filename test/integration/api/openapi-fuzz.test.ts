import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { cancelJob } from '@agent-runner/shared/domain/transitions.ts';
import { applyTransition } from '@agent-runner/shared/jobs/apply-transition.ts';
import { systemClock } from '@agent-runner/shared/domain/ids.ts';
import { cancelPipeline } from '@agent-runner/shared/pipelines/cancel-pipeline.ts';
import { ensureSchemathesisInstalled } from '../../support/schemathesis.ts';
import { startApiUnderTest, type ApiUnderTest } from './api-fixture.ts';

/** A fixed seed: CI reruns the same cases (set AGENT_RUNNER_TEST_FUZZ_SEED to explore others). */
const SEED = process.env.AGENT_RUNNER_TEST_FUZZ_SEED ?? '20261202';
/** Per route and phase; with two workers the run takes about 30-60 s on the 2-core machine. */
const EXAMPLES = process.env.AGENT_RUNNER_TEST_FUZZ_EXAMPLES ?? '5';
const CONFIG = new URL('./schemathesis.toml', import.meta.url).pathname;

/** Runs schemathesis; resolves with its exit code and output (stdout and stderr together). */
function runSchemathesis(bin: string, args: string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  // Its working directory gets a `.schemathesis/` crash cache: a temporary one, not the repository.
  const cwd = mkdtempSync(join(tmpdir(), 'agent-runner-fuzz-'));
  return new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(bin, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let output = '';
    const collect = (chunk: Buffer) => (output += chunk.toString());
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  }).finally(() => rmSync(cwd, { recursive: true, force: true }));
}

/** The report's failures and summary, each line cut short (a generated body can be megabytes). */
function failuresOf(output: string): string {
  const from = output.indexOf('FAILURES');
  const lines = (from >= 0 ? output.slice(from) : output.slice(-8000)).split('\n');
  return lines
    .slice(0, 150)
    .map((line) => (line.length > 300 ? `${line.slice(0, 300)} …` : line))
    .join('\n');
}

describe('the API against its own OpenAPI document (schemathesis, every route)', () => {
  let api: ApiUnderTest;
  let cancelling: NodeJS.Timeout;
  beforeAll(async () => {
    api = await startApiUnderTest();
    // No dispatcher runs here: jobs the fuzzer submits are cancelled at once, so the event streams
    // it opens on them end (with their `end` event) instead of waiting for a worker.
    cancelling = setInterval(() => {
      void (async () => {
        for (const job of await api.backend.jobs.listByStatus('QUEUED', 100)) {
          await applyTransition(
            api.backend.jobs,
            job.jobId,
            (found) => cancelJob(found, new Date()),
            () => new Date(),
          ).catch(() => {});
        }
        // Likewise pipelines, whose waiting steps no dispatcher would ever end.
        const { backend, config } = api;
        const deps = {
          jobs: backend.jobs,
          pipelines: backend.pipelines,
          queue: backend.queue,
          blobs: backend.blobs,
          clock: systemClock,
          config,
        };
        for (const pipeline of await backend.pipelines.listRunning(100)) await cancelPipeline(deps, pipeline).catch(() => {});
      })();
    }, 100);
  });
  afterAll(async () => {
    clearInterval(cancelling);
    await api.stop();
  });

  test('no 5xx, and every answer matches the documented status, media type, headers and schema', async () => {
    const bin = ensureSchemathesisInstalled();
    const run = await runSchemathesis(
      bin,
      [
        '--config-file',
        CONFIG,
        'run',
        `${api.url}/openapi.json`,
        '--checks',
        'all',
        // Some rules are not JSON Schema's to state, and the document says so: a cursor must be one
        // this API issued, a usage window is at most 31 days, a tool or model must be enabled by the
        // deployment. A request breaking one is a 400 the schema alone would call valid.
        '--exclude-checks',
        'positive_data_acceptance',
        '--max-examples',
        EXAMPLES,
        '--seed',
        SEED,
        '--workers',
        '2',
        '--request-timeout',
        '5',
        '--generation-database',
        'none',
        '--max-failures',
        '10',
        '--no-color',
      ],
      150_000,
    );
    assert.equal(run.code, 0, `schemathesis (seed ${SEED}) found problems:\n${failuresOf(run.output)}`);
    const document = (await (await fetch(`${api.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);
    const operations = Object.values(document.paths).reduce((n, item) => n + Object.keys(item).filter((k) => METHODS.has(k)).length, 0);
    assert.ok(operations >= 15, `the document lists every route (${operations})`);
    // schemathesis reports one operation fewer than the document lists (13 of 14 before API keys, 15
    // of 16 after): the count follows the document, so a new route that is not exercised still fails.
    assert.match(run.output, new RegExp(`Tested: ${operations - 1}\\b`), 'every route was exercised');
    const errors = api.logs.filter((line) => Number(line.level) >= 50);
    assert.deepEqual(
      errors.map((line) => line.msg),
      [],
      'nothing was logged as an error',
    );
  });
});
