import assert from 'node:assert/strict';
import { test } from 'vitest';
import { createJobRecord, type Attempt, type Job } from '../domain/job.ts';
import { jobTimeseries } from './job-timeseries.ts';

const T0 = Date.parse('2026-12-03T10:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

function job(createdMin: number, changes: Partial<Job>): Job {
  const base = createJobRecord(
    `01J${createdMin}`,
    { jobType: 'echo', payload: {}, priority: 'normal', tenant: 't', orderingKey: null, maxAttempts: 3, timeoutSeconds: 60 },
    new Date(at(createdMin)),
    { payload: {}, payloadRef: null },
  );
  return { ...base, ...changes };
}
const attempt = (n: number, dispatched: number, ended: number | null, outcome: Attempt['outcome']): Attempt => ({
  number: n,
  dispatchedAt: at(dispatched),
  workerRef: 'w',
  launchedAt: at(dispatched),
  startedAt: at(dispatched),
  endedAt: ended === null ? null : at(ended),
  outcome,
  error: null,
});
const usage = (claude: number, compute: number) => ({
  calls: 1,
  input_tokens: 1,
  output_tokens: 1,
  cache_write_tokens: 0,
  cache_read_tokens: 0,
  cost_usd: claude,
  by_model: {},
  compute_cost_usd: compute,
  compute_seconds: 60,
});

test('ends per minute by outcome, waiting jobs per priority at each minute, spend per hour', () => {
  const jobs = [
    // waited 0.5–2.5, ran, succeeded at 3.2, cost 0.01 + 0.002
    job(0.5, { status: 'SUCCEEDED', finishedAt: at(3.2), attempts: [attempt(1, 2.5, 3.2, 'SUCCEEDED')], usage: usage(0.01, 0.002) }),
    // high priority: first attempt failed at 1.5, waited until 4.5 for its retry, then failed for good at 5.1
    job(0.2, {
      status: 'FAILED',
      priority: 'high',
      finishedAt: at(5.1),
      attempts: [attempt(1, 0.4, 1.5, 'FAILED'), attempt(2, 4.5, 5.1, 'FAILED')],
    }),
    // still queued since 3.5
    job(3.5, { status: 'QUEUED', priority: 'low' }),
    // cancelled while queued at 1.9
    job(1.1, { status: 'CANCELLED', finishedAt: at(1.9) }),
  ];
  const series = jobTimeseries(jobs, new Date(at(0)), new Date(at(6)));
  assert.equal(series.finished.length, 6);
  assert.deepEqual(
    series.finished.map((m) => [m.SUCCEEDED, m.FAILED, m.TIMED_OUT, m.CANCELLED]),
    [
      [0, 0, 0, 0],
      [0, 0, 0, 1],
      [0, 0, 0, 0],
      [1, 0, 0, 0],
      [0, 0, 0, 0],
      [0, 1, 0, 0],
    ],
  );
  // At 1:00, 2:00 … 6:00.
  assert.deepEqual(
    series.queue_depth.map((m) => [m.at.slice(11, 16), m.high, m.normal, m.low]),
    [
      ['10:01', 0, 1, 0],
      ['10:02', 1, 1, 0],
      ['10:03', 1, 0, 0],
      ['10:04', 1, 0, 1],
      ['10:05', 0, 0, 1],
      ['10:06', 0, 0, 1],
    ],
  );
  assert.deepEqual(series.spend, [{ at: '2026-12-03T10:00:00.000Z', claude_usd: 0.01, compute_usd: 0.002 }]);
});
