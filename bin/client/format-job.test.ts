import assert from 'node:assert/strict';
import { test } from 'vitest';
import type { JobView } from './api-client.ts';
import { costUsdOf, formatDuration, formatJobDetail, formatJobTable } from './format-job.ts';

const NOW = new Date('2026-01-01T00:10:00.000Z');

function job(overrides: Partial<JobView> = {}): JobView {
  return {
    job_id: '01JAAAAAAAAAAAAAAAAAAAAAAA',
    job_type: 'echo',
    status: 'SUCCEEDED',
    priority: 'normal',
    tenant: 'default',
    key_id: null,
    ordering_key: null,
    isolation: 'one_shot',
    created_at: '2026-01-01T00:05:00.000Z',
    updated_at: '2026-01-01T00:05:03.000Z',
    started_at: '2026-01-01T00:05:01.000Z',
    finished_at: '2026-01-01T00:05:03.500Z',
    attempt: 1,
    max_attempts: 3,
    timeout_seconds: 900,
    attempts: [],
    error: null,
    usage: null,
    cost_usd: null,
    compute_cost_usd: null,
    rate_limits: null,
    webhook: null,
    links: { self: '/jobs/x', cancel: '/jobs/x/cancel', events: '/jobs/x/events' },
    ...overrides,
  };
}

test('durations read at a glance in every range', () => {
  assert.deepEqual([450, 12_340, 245_000, 7_380_000, 273_600_000].map(formatDuration), ['450ms', '12.3s', '4m05s', '2h03m', '3d04h']);
});

test('the list table: aligned columns, age and run time, a cost column only when some job has a cost', () => {
  const queued = job({ job_id: '01JBBBBBBBBBBBBBBBBBBBBBBB', status: 'QUEUED', started_at: null, finished_at: null, attempt: 0 });
  const table = formatJobTable([job(), queued], NOW).split('\n');
  assert.equal(table.length, 3);
  assert.match(table[0]!, /^JOB ID\s+TYPE\s+STATUS\s+PRIORITY\s+AGE\s+DURATION\s+ATTEMPT$/);
  assert.match(table[1]!, /^01JAAAAAAAAAAAAAAAAAAAAAAA {2}echo {2}SUCCEEDED {2}normal {4}5m00s {2}2\.5s {6}1\/3$/);
  assert.match(table[2]!, /QUEUED\s+normal\s+5m00s\s+-\s+0\/3$/);
  const withCost = formatJobTable([job({ result: { reply: 'hi', cost_usd: 0.0123 } }), queued], NOW).split('\n');
  assert.match(withCost[0]!, /ATTEMPT {2}COST$/);
  assert.match(withCost[1]!, /\$0\.0123$/);
  assert.match(withCost[2]!, / -$/);
  assert.equal(formatJobTable([], NOW), 'no jobs');
});

test('cost comes from usage.cost_usd when the view has it, else from a Claude result', () => {
  assert.equal(costUsdOf({ ...job(), usage: { cost_usd: 1.5 } } as JobView), 1.5);
  assert.equal(costUsdOf(job({ result: { cost_usd: 0.2 } })), 0.2);
  assert.equal(costUsdOf(job({ result: 'text' })), null);
});

test('the detail view shows the attempts, the error and the result', () => {
  const failed = job({
    status: 'FAILED',
    attempt: 2,
    attempts: [
      {
        number: 1,
        dispatched_at: '2026-01-01T00:05:00.500Z',
        worker_ref: 'pid:41@host',
        log_stream: null,
        task_arn: null,
        launched_at: null,
        started_at: '2026-01-01T00:05:01.000Z',
        ended_at: '2026-01-01T00:05:02.000Z',
        outcome: 'QUEUED',
        error: { kind: 'retryable', message: 'throttled', handler: 'echo' },
      },
      {
        number: 2,
        dispatched_at: '2026-01-01T00:05:02.500Z',
        worker_ref: 'pid:42@host',
        log_stream: null,
        task_arn: null,
        launched_at: null,
        started_at: '2026-01-01T00:05:03.000Z',
        ended_at: '2026-01-01T00:05:03.500Z',
        outcome: 'FAILED',
        error: { kind: 'fatal', message: 'bad input', handler: 'echo' },
      },
    ],
    error: { kind: 'fatal', message: 'bad input', handler: 'echo' },
  });
  const text = formatJobDetail(failed, NOW);
  assert.match(text, /^status: +FAILED$/m);
  assert.match(text, /^ {2}1 +QUEUED +pid:41@host +1\.0s +retryable: throttled$/m);
  assert.match(text, /^ {2}2 +FAILED +pid:42@host +500ms +fatal: bad input$/m);
  assert.match(text, /^error: fatal in echo: bad input$/m);
  assert.doesNotMatch(text, /result:/);
  assert.match(formatJobDetail(job({ result: { echoed_message: 'hi' } }), NOW), /result:\n {2}\{\n {4}"echoed_message": "hi"\n {2}\}/);
});
