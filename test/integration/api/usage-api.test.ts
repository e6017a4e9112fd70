/**
 * GET /usage on a real API server over each backend: jobs with known usage are written through the
 * store, then the report is read grouped by tenant, job type and model; bad queries are 400s.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { startApi, type RunningApi } from '@agent-runner/api/main.ts';
import { UsageReportSchema } from '@agent-runner/api/schemas/usage.ts';
import { createUlidSource } from '@agent-runner/shared/domain/ids.ts';
import { createJobRecord, type Job, type JsonObject } from '@agent-runner/shared/domain/job.ts';
import { addUsage, type JobUsage, type UsageTotals } from '@agent-runner/shared/domain/job-usage.ts';
import { createLogger } from '@agent-runner/shared/observability/logger.ts';
import { backendsUnderTest, openBackend, type OpenedBackend } from '../../support/backends.ts';
import { PROBLEM_JSON } from './api-fixture.ts';

const HOUR = 3_600_000;

const totals = (calls: number, input: number, output: number, write: number, read: number, usd: number): UsageTotals => ({
  calls,
  input_tokens: input,
  output_tokens: output,
  cache_write_tokens: write,
  cache_read_tokens: read,
  cost_usd: usd,
});

/** A job's usage from its per-model parts, summed the way the worker sums attempts. */
function usageOf(byModel: Record<string, UsageTotals>): JobUsage {
  let usage: JobUsage | null = null;
  for (const [model, t] of Object.entries(byModel)) usage = addUsage(usage, { ...t, by_model: { [model]: t } });
  assert.ok(usage);
  return usage;
}

const SONNET = 'claude-sonnet-5-5';
const HAIKU = 'claude-haiku-4-5';

for (const target of backendsUnderTest()) {
  describe(`GET /usage (${target.name})`, () => {
    let opened: OpenedBackend;
    let api: RunningApi;
    // A window of its own, far from other suites' jobs; the API's clock stands at its end.
    const to = new Date(Date.parse('2032-01-01T00:00:00.000Z') + Math.floor(Math.random() * 1e9));
    const from = new Date(to.getTime() - 6 * HOUR);
    const ids = createUlidSource();
    const jobs: Job[] = [];

    function jobAt(at: Date, jobType: string, tenant: string, usage: JobUsage | null, rateLimits: JsonObject | null = null): Job {
      const job = createJobRecord(
        ids(at),
        { jobType, payload: {}, priority: 'normal', tenant, orderingKey: null, maxAttempts: 3, timeoutSeconds: 60 },
        at,
        { payload: {}, payloadRef: null },
      );
      return { ...job, status: 'SUCCEEDED', usage, rateLimits };
    }

    beforeAll(async () => {
      opened = await openBackend(target, { AGENT_RUNNER_PORT: '0' });
      api = await startApi(opened.config, opened.backend, createLogger('usage-test', 'warn'), { clock: { now: () => to } });
      const at = (hoursBeforeTo: number) => new Date(to.getTime() - hoursBeforeTo * HOUR);
      jobs.push(
        // Before the window: must not count.
        jobAt(new Date(from.getTime() - 1), 'research', 'acme', usageOf({ [SONNET]: totals(50, 9e6, 9e5, 0, 0, 99) })),
        jobAt(
          at(5),
          'research',
          'acme',
          usageOf({ [SONNET]: totals(5, 10_000, 2_000, 4_000, 30_000, 0.051), [HAIKU]: totals(1, 100, 50, 0, 0, 0.000_35) }),
          {
            'requests-remaining': '3998',
          },
        ),
        jobAt(at(4), 'claude_chat', 'acme', usageOf({ [SONNET]: totals(1, 1_000, 500, 0, 0, 0.007) })),
        jobAt(at(3), 'claude_chat', 'globex', usageOf({ [HAIKU]: totals(2, 2_000, 300, 0, 500, 0.003_55) })),
        jobAt(at(2), 'echo', 'globex', null),
        // At `to`: the window is half-open, so this one is out too.
        jobAt(to, 'claude_code', 'initech', usageOf({ [SONNET]: totals(1, 1, 1, 0, 0, 1) })),
      );
      for (const job of jobs) await opened.backend.jobs.create(job);
    });
    afterAll(async () => {
      await api?.close();
      await opened?.close();
    });

    async function usage(query: string): Promise<{ status: number; body: Record<string, unknown>; type: string | null }> {
      const res = await fetch(`${api.url}/usage${query}`);
      return { status: res.status, body: (await res.json()) as Record<string, unknown>, type: res.headers.get('content-type') };
    }

    const window = () => `from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}`;
    const rows = (body: Record<string, unknown>) =>
      UsageReportSchema.parse(body).groups.map((g) => [
        g.key,
        g.jobs,
        g.calls,
        g.input_tokens,
        g.output_tokens,
        g.cache_write_tokens,
        g.cache_read_tokens,
        g.cost_usd,
      ]);

    test('grouped by tenant: the jobs created in [from, to), most expensive first, with a total', async () => {
      const { status, body } = await usage(`?${window()}&group_by=tenant`);
      assert.equal(status, 200);
      const report = UsageReportSchema.parse(body);
      assert.equal(report.from, from.toISOString());
      assert.equal(report.to, to.toISOString());
      assert.equal(report.group_by, 'tenant');
      assert.deepEqual(rows(body), [
        ['acme', 2, 7, 11_100, 2_550, 4_000, 30_000, 0.058_35],
        ['globex', 1, 2, 2_000, 300, 0, 500, 0.003_55],
      ]);
      assert.deepEqual(report.total, {
        jobs: 3,
        calls: 9,
        input_tokens: 13_100,
        output_tokens: 2_850,
        cache_write_tokens: 4_000,
        cache_read_tokens: 30_500,
        cost_usd: 0.0619,
        compute_seconds: 0,
        compute_cost_usd: 0,
        total_cost_usd: 0.0619,
      });
      assert.equal(report.truncated, false);
    });

    test('grouped by job type (the default)', async () => {
      const expected = [
        ['research', 1, 6, 10_100, 2_050, 4_000, 30_000, 0.051_35],
        ['claude_chat', 2, 3, 3_000, 800, 0, 500, 0.010_55],
      ];
      assert.deepEqual(rows((await usage(`?${window()}&group_by=job_type`)).body), expected);
      assert.deepEqual(rows((await usage(`?${window()}`)).body), expected);
    });

    test('grouped by model: a job that used two models is in both groups, with each model’s share', async () => {
      const { body } = await usage(`?${window()}&group_by=model`);
      assert.deepEqual(rows(body), [
        [SONNET, 2, 6, 11_000, 2_500, 4_000, 30_000, 0.058],
        [HAIKU, 2, 3, 2_100, 350, 0, 500, 0.0039],
      ]);
      assert.equal((body.total as { jobs: number }).jobs, 3, 'the total counts each job once');
    });

    test('without from and to the window is the last 24 hours', async () => {
      const { body } = await usage('?group_by=tenant');
      assert.equal(body.to, to.toISOString());
      assert.equal(body.from, new Date(to.getTime() - 24 * HOUR).toISOString());
      // The job just before `from` is inside a 24-hour window.
      assert.deepEqual(
        UsageReportSchema.parse(body).groups.map((g) => [g.key, g.calls]),
        [
          ['acme', 57],
          ['globex', 2],
        ],
      );
    });

    test('the job view shows the usage and the last rate-limit headers', async () => {
      const job = jobs[1]!;
      const view = (await (await fetch(`${api.url}/jobs/${job.jobId}`)).json()) as Record<string, unknown>;
      assert.deepEqual(view.usage, job.usage);
      assert.deepEqual(view.rate_limits, { 'requests-remaining': '3998' });
      const quiet = (await (await fetch(`${api.url}/jobs/${jobs[4]!.jobId}`)).json()) as Record<string, unknown>;
      assert.equal(quiet.usage, null);
      assert.equal(quiet.rate_limits, null);
    });

    for (const [name, query, path] of [
      ['an unknown grouping', '?group_by=region', 'group_by'],
      ['a from that is not an ISO date-time', '?from=yesterday', 'from'],
      ['a to that is not an ISO date-time', '?to=2032-13-01', 'to'],
      ['a from that is not before to', `?from=${encodeURIComponent(to.toISOString())}&to=${encodeURIComponent(from.toISOString())}`, 'to'],
      ['a window longer than 31 days', `?from=2031-01-01T00:00:00Z&to=2031-02-01T00:00:01Z`, 'from'],
    ] as const) {
      test(`${name} is a 400 problem naming ${path}`, async () => {
        const { status, body, type } = await usage(query);
        assert.equal(status, 400);
        assert.equal(type, PROBLEM_JSON);
        assert.match(String(body.type), /invalid-query/);
        assert.deepEqual(
          (body.errors as { path: string }[]).map((e) => e.path),
          [path],
        );
      });
    }
  });
}
