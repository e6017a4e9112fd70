/**
 * What `npm start` runs — `agent-runner start`, a real child process on the embedded default — and
 * what an operator sees of it: jobs submitted over HTTP are counted on the API's and the
 * dispatcher's GET /metrics, and a real Prometheus (Debian's package) scraping both answers queries
 * with the numbers this test produced. Ctrl-C (SIGTERM) stops it cleanly.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { postJob, waitUntilTerminal, type JobView } from '../support/api-client.ts';
import { reply, startFakeAnthropic, type FakeAnthropic } from '../support/fake-anthropic.ts';
import { freePort } from '../support/free-port.ts';
import { skipWithout } from '../support/required-tool.ts';
import { waitFor } from '../support/wait-for.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const PROMETHEUS = '/usr/bin/prometheus';
const SUCCEEDING = 4;
const FAILING = 2;
const ULID_IN_TEXT = /[0-9A-HJKMNP-TV-Z]{26}/;
const API_KEY = 'sk-scrape';

interface Started {
  child: ChildProcess;
  apiUrl: string;
  dispatcherUrl: string;
  exited: Promise<number | null>;
  stderr: () => string;
}

/** `agent-runner start` on free ports; resolves once its banner names where it listens. */
async function startAgentRunner(dataDir: string, anthropicUrl: string): Promise<Started> {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', 'bin/agent-runner.ts', 'start'], {
    cwd: REPO,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      AGENT_RUNNER_DATA_DIR: dataDir,
      AGENT_RUNNER_PORT: '0',
      AGENT_RUNNER_DISPATCHER_PORT: '0',
      AGENT_RUNNER_SWEEP_INTERVAL_SECONDS: '1',
      AGENT_RUNNER_QUEUE_DEPTH_INTERVAL_SECONDS: '1',
      AGENT_RUNNER_LOG_LEVEL: 'warn',
      ANTHROPIC_BASE_URL: anthropicUrl,
      ANTHROPIC_API_KEY: API_KEY,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const urls = await waitFor(
    'the start banner',
    () => {
      if (child.exitCode !== null) throw new Error(`agent-runner start exited with ${child.exitCode}: ${stderr}`);
      const api = /API on (http:\/\/\S+)/.exec(stderr)?.[1];
      const dispatcher = /metrics: \S+ and (http:\/\/\S+)\/metrics/.exec(stderr)?.[1];
      return api && dispatcher ? { api, dispatcher } : undefined;
    },
    { timeoutMs: 30_000 },
  );
  return { child, apiUrl: urls.api, dispatcherUrl: urls.dispatcher, exited, stderr: () => stderr };
}

/** The sum of the series of `name` whose labels include `labels`, in Prometheus text format (0 if none). */
function sample(text: string, name: string, labels: Record<string, string>): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const set = line.slice(name.length + 1, line.lastIndexOf('}'));
    if (Object.entries(labels).every(([k, v]) => set.includes(`${k}="${v}"`))) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

async function scrape(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return res.text();
}

describe('agent-runner start, its metrics, and Prometheus scraping them', () => {
  let dataDir: string;
  let system: Started;
  let jobIds: string[];
  let claudeJob: JobView;
  let fake: FakeAnthropic;

  beforeAll(async () => {
    fake = await startFakeAnthropic({ apiKey: API_KEY });
    fake.respondWith(() => reply.text('Counted.', { usage: { input_tokens: 1200, output_tokens: 80, cache_read_input_tokens: 300 } }));
    dataDir = mkdtempSync(join(tmpdir(), 'agent-runner-start-'));
    system = await startAgentRunner(dataDir, fake.url);
    const ok = Array.from({ length: SUCCEEDING }, (_, i) => postJob(system.apiUrl, { job_type: 'echo', payload: { message: `m${i}` } }));
    const bad = Array.from({ length: FAILING }, () =>
      postJob(system.apiUrl, { job_type: 'echo', payload: { message: 'x', fail: 'fatal' }, priority: 'high' }),
    );
    jobIds = (await Promise.all([...ok, ...bad])).map((j) => j.job_id);
    const claude = await postJob(system.apiUrl, { job_type: 'claude_chat', payload: { prompt: 'Count me.' } });
    [claudeJob] = (await waitUntilTerminal(system.apiUrl, [...jobIds, claude.job_id], 60_000)).slice(-1) as [JobView];
  });

  afterAll(async () => {
    if (system && system.child.exitCode === null) system.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    await fake?.close();
  });

  test('the API counts submissions and times requests by route template, never by job id', async () => {
    await fetch(`${system.apiUrl}/jobs/${jobIds[0]}`);
    const text = await scrape(system.apiUrl);
    assert.equal(sample(text, 'agent_runner_jobs_submitted_total', { job_type: 'echo', priority: 'normal' }), SUCCEEDING);
    assert.equal(sample(text, 'agent_runner_jobs_submitted_total', { job_type: 'echo', priority: 'high' }), FAILING);
    assert.ok(sample(text, 'agent_runner_http_request_duration_seconds_count', { route: '/jobs/:id', method: 'GET', status: '200' }) >= 1);
    assert.equal(
      sample(text, 'agent_runner_http_request_duration_seconds_count', { route: '/jobs', method: 'POST', status: '202' }),
      SUCCEEDING + FAILING + 1,
    );
    assert.match(text, /agent_runner_queue_depth\{priority="normal",state="waiting",service="api"\} 0/);
    assert.match(text, /^process_resident_memory_bytes\{service="api"\} \d/m, 'default process metrics');
    assert.doesNotMatch(text, ULID_IN_TEXT, 'no job id in any label');
  });

  test('the dispatcher counts launches, outcomes, queue wait and duration from what the workers wrote', async () => {
    const text = await waitFor(
      'the dispatcher to see every job end',
      async () => {
        const t = await scrape(system.dispatcherUrl);
        const finished =
          sample(t, 'agent_runner_jobs_finished_total', { outcome: 'SUCCEEDED' }) +
          sample(t, 'agent_runner_jobs_finished_total', { outcome: 'FAILED' });
        return finished === SUCCEEDING + FAILING + 1 ? t : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    assert.equal(
      sample(text, 'agent_runner_jobs_finished_total', { job_type: 'echo', priority: 'normal', outcome: 'SUCCEEDED' }),
      SUCCEEDING,
    );
    assert.equal(sample(text, 'agent_runner_jobs_finished_total', { job_type: 'echo', priority: 'high', outcome: 'FAILED' }), FAILING);
    assert.equal(sample(text, 'agent_runner_jobs_dispatched_total', { job_type: 'echo', priority: 'normal' }), SUCCEEDING);
    assert.equal(sample(text, 'agent_runner_job_queue_wait_seconds_count', { job_type: 'echo' }), SUCCEEDING + FAILING);
    assert.equal(sample(text, 'agent_runner_job_queue_wait_seconds_count', {}), SUCCEEDING + FAILING + 1);
    assert.equal(sample(text, 'agent_runner_job_duration_seconds_count', { job_type: 'echo', outcome: 'SUCCEEDED' }), SUCCEEDING);
    assert.equal(sample(text, 'agent_runner_jobs_running', { job_type: 'echo' }), 0);
    assert.equal(sample(text, 'agent_runner_launch_errors_total', { reason: 'retryable' }), 0);
    assert.doesNotMatch(text, ULID_IN_TEXT, 'no job id in any label');
  });

  test('the Claude job’s tokens and dollars reach the dispatcher’s counters from its record', async () => {
    assert.equal(claudeJob.status, 'SUCCEEDED');
    const usage = (
      claudeJob as unknown as {
        usage: {
          cost_usd: number;
          by_model: Record<string, { input_tokens: number; output_tokens: number; cache_read_tokens: number; cost_usd: number }>;
        };
      }
    ).usage;
    const [model, spent] = Object.entries(usage.by_model)[0]!;
    assert.equal(spent.input_tokens, 1200);
    assert.ok(spent.cost_usd > 0);
    const text = await scrape(system.dispatcherUrl);
    assert.equal(sample(text, 'agent_runner_claude_tokens_total', { model, kind: 'input' }), 1200);
    assert.equal(sample(text, 'agent_runner_claude_tokens_total', { model, kind: 'output' }), 80);
    assert.equal(sample(text, 'agent_runner_claude_tokens_total', { model, kind: 'cache_read' }), 300);
    assert.equal(sample(text, 'agent_runner_claude_cost_usd_total', { model }), spent.cost_usd);
    assert.equal(sample(text, 'agent_runner_jobs_finished_total', { job_type: 'claude_chat', outcome: 'SUCCEEDED' }), 1);
  });

  test('a real Prometheus scrapes both services and its queries return the test’s numbers', {
    skip: skipWithout(PROMETHEUS, 'apt-get install prometheus; .ci/run installs it'),
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agent-runner-prometheus-'));
    const port = await freePort();
    const target = (url: string) => new URL(url).host;
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global:',
        '  scrape_interval: 1s',
        'scrape_configs:',
        '  - job_name: agent-runner-api',
        `    static_configs: [{ targets: ['${target(system.apiUrl)}'] }]`,
        '  - job_name: agent-runner-dispatcher',
        `    static_configs: [{ targets: ['${target(system.dispatcherUrl)}'] }]`,
        '',
      ].join('\n'),
    );
    const prometheus = spawn(
      PROMETHEUS,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    prometheus.stderr!.setEncoding('utf8').on('data', (c: string) => (log = (log + c).slice(-4000)));
    const query = async (promql: string): Promise<number | undefined> => {
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(promql)}`);
      if (!res.ok) return undefined;
      const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
      const first = body.data.result[0];
      return first ? Number(first.value[1]) : undefined;
    };
    const equals = (promql: string, wanted: number) =>
      waitFor(`${promql} == ${wanted}`, async () => ((await query(promql)) === wanted ? true : undefined), {
        timeoutMs: 30_000,
        intervalMs: 500,
      });
    try {
      await equals('sum(up{job=~"agent-runner-.*"})', 2);
      await equals('sum(agent_runner_jobs_submitted_total)', SUCCEEDING + FAILING + 1);
      await equals('sum(agent_runner_jobs_finished_total{outcome="SUCCEEDED"})', SUCCEEDING + 1);
      await equals('sum(agent_runner_jobs_finished_total{outcome="FAILED",priority="high"})', FAILING);
      await equals('sum(agent_runner_jobs_dispatched_total{service="dispatcher"})', SUCCEEDING + FAILING + 1);
      await equals('sum(agent_runner_claude_tokens_total{kind="input"})', 1200);
    } catch (error) {
      throw new Error(`${(error as Error).message}\nprometheus log:\n${log}`);
    } finally {
      prometheus.kill('SIGTERM');
      await new Promise((resolve) => prometheus.once('exit', resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('SIGTERM stops it cleanly', async () => {
    system.child.kill('SIGTERM');
    assert.equal(await system.exited, 0, system.stderr());
    assert.match(system.stderr(), /stopping/);
  });
});
