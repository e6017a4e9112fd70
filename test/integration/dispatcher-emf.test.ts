/**
 * The dispatcher's CloudWatch Embedded Metric Format lines: each is a valid EMF record (checked
 * against the rules of the EMF specification below), JobsEnded counts the job ends a dispatcher
 * observes by Outcome, and the reporter writes DispatcherHeartbeat and SpendTodayUsd (Claude plus
 * compute, the same figure GET /usage gives for today). The names are what the stack's alarms use.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { EMF_NAMESPACE, EmfMetrics, emfRecord } from '@agent-runner/dispatcher/emf-metrics.ts';
import { spendTodayUsd, startEmfReporter } from '@agent-runner/dispatcher/emf-reporter.ts';
import { systemClock } from '@agent-runner/shared/domain/ids.ts';
import { createLogger } from '@agent-runner/shared/observability/logger.ts';
import { postJob, waitUntilTerminal } from '../support/api-client.ts';
import { startSystem, type TestSystem } from '../support/system.ts';
import { waitFor } from '../support/wait-for.ts';

/** The units the EMF specification (and PutMetricData) accepts. */
const UNITS = new Set(
  'Seconds Microseconds Milliseconds Bytes Kilobytes Megabytes Gigabytes Terabytes Bits Kilobits Megabits Gigabits Terabits Percent Count Bytes/Second Kilobytes/Second Megabytes/Second Gigabytes/Second Terabytes/Second Bits/Second Kilobits/Second Megabits/Second Gigabits/Second Terabits/Second Count/Second None'.split(
    ' ',
  ),
);

/**
 * The EMF specification's rules (CloudWatch_Embedded_Metric_Format_Specification): a JSON object
 * whose `_aws` holds an integer millisecond `Timestamp` and `CloudWatchMetrics` directives; each
 * directive a Namespace, 1–30 keys per dimension set each naming a string member of the root, and
 * ≤ 100 metrics each naming a numeric member of the root, with a known Unit.
 */
function assertValidEmf(line: string): Record<string, unknown> {
  assert.ok(!line.includes('\n'), 'one record per line');
  const record = JSON.parse(line) as Record<string, unknown>;
  const aws = record._aws as { Timestamp: unknown; CloudWatchMetrics: unknown };
  assert.equal(typeof aws, 'object');
  assert.ok(Number.isInteger(aws.Timestamp) && (aws.Timestamp as number) > 0, 'Timestamp: epoch milliseconds');
  assert.ok(Array.isArray(aws.CloudWatchMetrics) && aws.CloudWatchMetrics.length > 0);
  for (const directive of aws.CloudWatchMetrics as { Namespace: unknown; Dimensions: unknown; Metrics: unknown }[]) {
    assert.ok(typeof directive.Namespace === 'string' && directive.Namespace.length > 0 && directive.Namespace.length <= 1024);
    assert.ok(Array.isArray(directive.Dimensions));
    for (const set of directive.Dimensions as unknown[]) {
      assert.ok(Array.isArray(set) && set.length <= 30);
      for (const key of set) assert.equal(typeof record[key as string], 'string', `dimension ${String(key)} is a string member`);
    }
    assert.ok(Array.isArray(directive.Metrics) && directive.Metrics.length > 0 && directive.Metrics.length <= 100);
    for (const metric of directive.Metrics as { Name: unknown; Unit?: unknown }[]) {
      assert.ok(typeof metric.Name === 'string' && metric.Name.length > 0);
      assert.ok(metric.Unit === undefined || UNITS.has(metric.Unit as string), `unit ${String(metric.Unit)}`);
      assert.ok(Number.isFinite(record[metric.Name]), `metric ${metric.Name} is a number member`);
    }
  }
  return record;
}

const metricOf = (record: Record<string, unknown>) =>
  (record._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] }).CloudWatchMetrics[0]!.Metrics[0]!.Name;

test('each record is valid EMF in the AgentRunner namespace; the validator refuses broken ones', () => {
  const record = assertValidEmf(
    JSON.stringify(emfRecord(new Date(), { name: 'JobsEnded', unit: 'Count', value: 1 }, { Outcome: 'FAILED' })),
  );
  assert.equal((record._aws as { CloudWatchMetrics: { Namespace: string }[] }).CloudWatchMetrics[0]!.Namespace, EMF_NAMESPACE);
  assert.deepEqual([record.Outcome, record.JobsEnded], ['FAILED', 1]);
  const broken = emfRecord(new Date(), { name: 'JobsEnded', unit: 'Count', value: 1 }, { Outcome: 'FAILED' });
  delete broken.Outcome;
  assert.throws(() => assertValidEmf(JSON.stringify(broken)));
  assert.throws(() => assertValidEmf(JSON.stringify({ ...broken, Outcome: 'x', JobsEnded: 'one' })));
});

describe('the dispatcher writes EMF on job ends, a heartbeat and the day spend', () => {
  let system: TestSystem;
  const lines: string[] = [];
  beforeAll(async () => {
    // Embedded, with a compute price, so today's spend is not zero without a Claude call.
    system = await startSystem('embedded', { AGENT_RUNNER_FARGATE_PRICE_VCPU_HOUR: '36', AGENT_RUNNER_FARGATE_PRICE_GB_HOUR: '0' });
    system.startDispatcher({ emfLines: (line) => lines.push(line) });
  });
  afterAll(() => system?.stop());

  test('JobsEnded once per job end, by Outcome; heartbeat and SpendTodayUsd from the reporter', async () => {
    const ok = await postJob(system.url, { job_type: 'echo', payload: { message: 'a' } });
    const ok2 = await postJob(system.url, { job_type: 'echo', payload: { message: 'b' } });
    const bad = await postJob(system.url, { job_type: 'echo', payload: { message: 'c', fail: 'fatal' } });
    const slow = await postJob(system.url, { job_type: 'echo', timeout_seconds: 1, payload: { message: 'd', sleep_ms: 5000 } });
    await waitUntilTerminal(system.url, [ok.job_id, ok2.job_id, bad.job_id, slow.job_id], 60_000);
    const ended = () => lines.map(assertValidEmf).filter((r) => metricOf(r) === 'JobsEnded');
    // The reaper's next round settles the ends it follows.
    await waitFor('four job ends', () => (ended().length >= 4 ? true : undefined), { timeoutMs: 15_000 });
    const byOutcome: Record<string, number> = {};
    for (const r of ended()) byOutcome[r.Outcome as string] = (byOutcome[r.Outcome as string] ?? 0) + (r.JobsEnded as number);
    assert.deepEqual(byOutcome, { SUCCEEDED: 2, FAILED: 1, TIMED_OUT: 1 });

    const reported: string[] = [];
    const emf = new EmfMetrics((line) => reported.push(line), systemClock);
    const reporter = startEmfReporter({ emf, jobs: system.backend.jobs, clock: systemClock, log: createLogger('emf-test', 'silent') }, 200);
    await waitFor('two reports', () => (reported.length >= 4 ? true : undefined), { timeoutMs: 10_000 });
    await reporter.stop();
    const records = reported.map(assertValidEmf);
    assert.deepEqual(records.slice(0, 4).map(metricOf), ['DispatcherHeartbeat', 'SpendTodayUsd', 'DispatcherHeartbeat', 'SpendTodayUsd']);
    const spend = records[1]!.SpendTodayUsd as number;
    const today = new Date(`${new Date().toISOString().slice(0, 10)}T00:00:00.000Z`).toISOString();
    const usage = (await (await fetch(`${system.url}/usage?from=${today}`)).json()) as { total: { total_cost_usd: number } };
    assert.ok(spend > 0, 'the workers priced their time');
    assert.equal(spend, usage.total.total_cost_usd);
    assert.equal(await spendTodayUsd(system.backend.jobs, new Date()), spend);
  });
});
