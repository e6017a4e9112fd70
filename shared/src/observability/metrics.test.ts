import assert from 'node:assert/strict';
import { test } from 'vitest';
import { register as globalRegistry } from 'prom-client';
import { FatalError, RetryableError } from '../domain/errors.ts';
import type { QueueDepth } from '../ports/job-queue.ts';
import { createMetrics, type AgentRunnerMetrics } from './metrics.ts';

/** The value of one series (a histogram's `_bucket`/`_count`/`_sum` too), found by some of its labels. */
async function seriesValue(metrics: AgentRunnerMetrics, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const base = name.replace(/_(bucket|count|sum)$/, '');
  const metric = metrics.registry.getSingleMetric(name) ?? metrics.registry.getSingleMetric(base);
  assert.ok(metric, `${name} is registered`);
  const { values } = await metric.get();
  const found = values.find(
    (v) =>
      ((v as { metricName?: string }).metricName ?? name) === name &&
      Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want),
  );
  return found?.value;
}

async function seriesOf(metrics: AgentRunnerMetrics, name: string): Promise<Record<string, string | number>[]> {
  const metric = metrics.registry.getSingleMetric(name);
  assert.ok(metric);
  return (await metric.get()).values.map((v) => v.labels as Record<string, string | number>);
}

test('each call makes its own registry: two services in one process do not collide, the global registry stays empty', async () => {
  const api = createMetrics({ service: 'api' });
  const dispatcher = createMetrics({ service: 'dispatcher' });
  api.jobSubmitted({ jobType: 'echo', priority: 'high' });
  assert.equal(await seriesValue(api, 'agent_runner_jobs_submitted_total', { job_type: 'echo', priority: 'high' }), 1);
  assert.equal(await seriesValue(dispatcher, 'agent_runner_jobs_submitted_total', { job_type: 'echo' }), undefined);
  assert.doesNotMatch(await globalRegistry.metrics(), /agent_runner_/);
});

test('every series is named agent_runner_*, carries the service label, and Node process metrics come along', async () => {
  const metrics = createMetrics({ service: 'api' });
  const text = await metrics.registry.metrics();
  const ours = metrics.registry
    .getMetricsAsArray()
    .map((m) => m.name)
    .filter((n) => !/^(process_|nodejs_)/.test(n));
  assert.ok(ours.length >= 12, `found ${ours.join(', ')}`);
  for (const name of ours) assert.match(name, /^agent_runner_/);
  assert.match(text, /^process_cpu_user_seconds_total\{service="api"\} /m);
  assert.match(text, /^agent_runner_queue_depth\{priority="critical",state="waiting",service="api"\} 0$/m);
  assert.doesNotMatch(await createMetrics({ service: 'x', defaultMetrics: false }).registry.metrics(), /process_cpu/);
});

test('job types and models outside the declared sets are recorded as "other", so label sets stay bounded', async () => {
  const metrics = createMetrics({ service: 'api', jobTypes: ['echo'], models: ['claude-sonnet-4-5'], defaultMetrics: false });
  metrics.jobSubmitted({ jobType: 'echo', priority: 'normal' });
  metrics.jobSubmitted({ jobType: 'x'.repeat(300), priority: 'normal' });
  metrics.claudeUsage('made-up-model', { inputTokens: 5, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0 }, 0.01);
  const types = (await seriesOf(metrics, 'agent_runner_jobs_submitted_total')).map((l) => l.job_type).sort();
  assert.deepEqual(types, ['echo', 'other']);
  assert.equal(await seriesValue(metrics, 'agent_runner_claude_tokens_total', { model: 'other', kind: 'input' }), 5);
});

test('a finished job counts by outcome and observes its duration only when it ran', async () => {
  const metrics = createMetrics({ service: 'dispatcher', defaultMetrics: false });
  metrics.jobFinished({ jobType: 'echo', priority: 'low', outcome: 'SUCCEEDED', ranSeconds: 2 });
  metrics.jobFinished({ jobType: 'echo', priority: 'low', outcome: 'CANCELLED', ranSeconds: null });
  assert.equal(await seriesValue(metrics, 'agent_runner_jobs_finished_total', { outcome: 'SUCCEEDED' }), 1);
  assert.equal(await seriesValue(metrics, 'agent_runner_jobs_finished_total', { outcome: 'CANCELLED' }), 1);
  assert.equal(await seriesValue(metrics, 'agent_runner_job_duration_seconds_count', { job_type: 'echo', outcome: 'SUCCEEDED' }), 1);
  assert.equal(await seriesValue(metrics, 'agent_runner_job_duration_seconds_sum', { outcome: 'SUCCEEDED' }), 2);
  assert.equal(await seriesValue(metrics, 'agent_runner_job_duration_seconds_count', { outcome: 'CANCELLED' }), undefined);
  metrics.jobStarted({ jobType: 'echo', waitedSeconds: 0.3 });
  assert.equal(await seriesValue(metrics, 'agent_runner_job_queue_wait_seconds_bucket', { job_type: 'echo', le: '0.25' }), 0);
  assert.equal(await seriesValue(metrics, 'agent_runner_job_queue_wait_seconds_bucket', { job_type: 'echo', le: '0.5' }), 1);
});

test('the running gauge is replaced by each reading: a declared type that stopped running shows 0', async () => {
  const metrics = createMetrics({ service: 'dispatcher', jobTypes: ['echo', 'sleep'], defaultMetrics: false });
  metrics.setJobsRunning({ echo: 3, sleep: 1 });
  metrics.setJobsRunning({ echo: 2 });
  assert.equal(await seriesValue(metrics, 'agent_runner_jobs_running', { job_type: 'echo' }), 2);
  assert.equal(await seriesValue(metrics, 'agent_runner_jobs_running', { job_type: 'sleep' }), 0);
});

test('queue depth: every priority and state from one sample, with the sample time', async () => {
  const metrics = createMetrics({ service: 'api', defaultMetrics: false });
  const depth: QueueDepth = {
    critical: { waiting: 1, inFlight: 0 },
    high: { waiting: 2, inFlight: 1 },
    normal: { waiting: 30, inFlight: 4 },
    low: { waiting: 0, inFlight: 7 },
  };
  metrics.setQueueDepth(depth, new Date('2026-01-01T00:00:10Z'));
  assert.equal(await seriesValue(metrics, 'agent_runner_queue_depth', { priority: 'normal', state: 'waiting' }), 30);
  assert.equal(await seriesValue(metrics, 'agent_runner_queue_depth', { priority: 'low', state: 'in_flight' }), 7);
  assert.equal(await seriesValue(metrics, 'agent_runner_queue_depth_sampled_timestamp_seconds'), Date.parse('2026-01-01T00:00:10Z') / 1000);
});

test('launch errors count by the error kind, never its message', async () => {
  const metrics = createMetrics({ service: 'dispatcher', defaultMetrics: false });
  metrics.launchFailed(new RetryableError('RunTask failed: RESOURCE:ENI arn:aws:…'));
  metrics.launchFailed(new RetryableError('another message'));
  metrics.launchFailed(new FatalError('unknown task definition'));
  metrics.launchFailed(new TypeError('bug'));
  assert.equal(await seriesValue(metrics, 'agent_runner_launch_errors_total', { reason: 'retryable' }), 2);
  assert.equal(await seriesValue(metrics, 'agent_runner_launch_errors_total', { reason: 'fatal' }), 1);
  assert.equal(await seriesValue(metrics, 'agent_runner_launch_errors_total', { reason: 'unexpected' }), 1);
  assert.equal((await seriesOf(metrics, 'agent_runner_launch_errors_total')).length, 3);
});

test('Claude usage adds tokens by kind and dollars by model', async () => {
  const metrics = createMetrics({ service: 'dispatcher', defaultMetrics: false });
  const usage = { inputTokens: 100, outputTokens: 20, cacheWriteTokens: 0, cacheReadTokens: 50 };
  metrics.claudeUsage('claude-sonnet-4-5', usage, 0.0015);
  metrics.claudeUsage('claude-sonnet-4-5', usage, 0.0015);
  assert.equal(await seriesValue(metrics, 'agent_runner_claude_tokens_total', { model: 'claude-sonnet-4-5', kind: 'input' }), 200);
  assert.equal(await seriesValue(metrics, 'agent_runner_claude_tokens_total', { kind: 'cache_read' }), 100);
  assert.equal(await seriesValue(metrics, 'agent_runner_claude_tokens_total', { kind: 'cache_write' }), undefined);
  assert.equal(await seriesValue(metrics, 'agent_runner_claude_cost_usd_total', { model: 'claude-sonnet-4-5' }), 0.003);
});

test('HTTP requests: unknown methods collapse to "other", status is the code', async () => {
  const metrics = createMetrics({ service: 'api', defaultMetrics: false });
  metrics.httpRequestAnswered({ method: 'GET', route: '/jobs/:id', status: 404 }, 0.002);
  metrics.httpRequestAnswered({ method: 'BREW', route: 'unmatched', status: 405 }, 0.001);
  assert.equal(
    await seriesValue(metrics, 'agent_runner_http_request_duration_seconds_count', { method: 'GET', route: '/jobs/:id', status: '404' }),
    1,
  );
  assert.equal(await seriesValue(metrics, 'agent_runner_http_request_duration_seconds_count', { method: 'other', status: '405' }), 1);
});
