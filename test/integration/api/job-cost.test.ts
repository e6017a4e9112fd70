/**
 * A job's cost is one number on every view of it: the list (whose entries carry no result) says
 * what GET /jobs/{id} says. The dashboard showed "—" in its table for a Claude job whose detail
 * showed $0.0024: its record, written before usage was recorded, had the cost only in its result,
 * which list entries leave out.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { ulid } from '@agent-runner/shared/domain/ids.ts';
import { createJobRecord, type Job, type JsonValue } from '@agent-runner/shared/domain/job.ts';
import type { JobUsage } from '@agent-runner/shared/domain/job-usage.ts';
import { startApiUnderTest, type ApiUnderTest } from './api-fixture.ts';

let api: ApiUnderTest;
beforeAll(async () => {
  api = await startApiUnderTest();
});
afterAll(() => api?.stop());

function succeededRecord(jobType: string, result: JsonValue, usage: JobUsage | null): Job {
  const now = new Date();
  const job = createJobRecord(
    ulid(now),
    { jobType, payload: {}, priority: 'normal', tenant: 'acme', orderingKey: null, maxAttempts: 3, timeoutSeconds: 60 },
    now,
    { payload: {}, payloadRef: null },
  );
  return { ...job, status: 'SUCCEEDED', startedAt: now.toISOString(), finishedAt: now.toISOString(), result, usage };
}

const usageOf = (costUsd: number): JobUsage => {
  const totals = { calls: 1, input_tokens: 900, output_tokens: 60, cache_write_tokens: 0, cache_read_tokens: 0, cost_usd: costUsd };
  return { ...totals, by_model: { 'claude-sonnet-5-5': totals } };
};

async function costs(jobId: string): Promise<{ listed: unknown; detail: unknown }> {
  const list = (await (await fetch(`${api.url}/jobs?limit=100`)).json()) as {
    jobs: { job_id: string; cost_usd?: unknown; result?: unknown }[];
  };
  const entry = list.jobs.find((j) => j.job_id === jobId);
  assert.ok(entry, 'the job is listed');
  assert.equal(entry.result, undefined, 'list entries carry no result');
  const detail = (await (await fetch(`${api.url}/jobs/${jobId}`)).json()) as { cost_usd?: unknown };
  return { listed: entry.cost_usd, detail: detail.cost_usd };
}

test('a record without usage, its cost only in its result: the list entry and the job say the same cost', async () => {
  const job = succeededRecord('claude_chat', { response: 'hi', cost_usd: 0.0024 }, null);
  await api.backend.jobs.create(job);
  assert.deepEqual(await costs(job.jobId), { listed: 0.0024, detail: 0.0024 });
});

test('recorded usage is the cost (over every attempt), whatever the last result says', async () => {
  const job = succeededRecord('claude_chat', { response: 'hi', cost_usd: 0.001 }, usageOf(0.0031));
  await api.backend.jobs.create(job);
  assert.deepEqual(await costs(job.jobId), { listed: 0.0031, detail: 0.0031 });
});

test('a job that made no model call has no cost', async () => {
  const job = succeededRecord('echo', { echoed_message: 'hi' }, null);
  await api.backend.jobs.create(job);
  assert.deepEqual(await costs(job.jobId), { listed: null, detail: null });
});
