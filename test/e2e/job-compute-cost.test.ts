/**
 * A job's compute cost, end to end on each backend: the worker prices its own time (its process's
 * wall time here; on Fargate from the task's image pull) at the configured prices times the worker
 * task size, the job view shows it beside the Claude cost, and GET /usage sums both. On aws the
 * ECS launcher also records the attempt's awslogs stream.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { computeCostUsd } from '@agent-runner/shared/domain/compute-cost.ts';
import { FARGATE_LIST_PRICE } from '@agent-runner/shared/config/observability-config.ts';
import { postJob, waitUntilTerminal } from '../support/api-client.ts';
import { backendNames, startSystem, type TestSystem } from '../support/system.ts';

const LOG_GROUP = '/ecs/agent-runner-test';

for (const name of backendNames()) {
  describe(`compute cost per job (${name})`, () => {
    let system: TestSystem;
    // Embedded workers cost nothing unless a price is set; on aws the list price applies by default.
    const price = name === 'aws' ? FARGATE_LIST_PRICE : { vcpuHourUsd: 36, gbHourUsd: 3.6 };
    beforeAll(async () => {
      system = await startSystem(name, {
        AGENT_RUNNER_WORKER_CPU: '1024',
        AGENT_RUNNER_WORKER_MEMORY: '2048',
        AGENT_RUNNER_WORKER_LOG_GROUP: LOG_GROUP,
        ...(name === 'embedded' && { AGENT_RUNNER_FARGATE_PRICE_VCPU_HOUR: '36', AGENT_RUNNER_FARGATE_PRICE_GB_HOUR: '3.6' }),
      });
      system.startDispatcher();
    });
    afterAll(() => system?.stop());

    test("a job's usage carries its workers' seconds at the price times the task size, and /usage sums them with Claude's", async () => {
      const from = new Date(Date.now() - 1000).toISOString();
      const job = await postJob(system.url, { job_type: 'echo', payload: { message: 'priced', sleep_ms: 1200 } });
      const [done] = await waitUntilTerminal(system.url, [job.job_id], 60_000);
      assert.equal(done?.status, 'SUCCEEDED');
      const usage = done!.usage as { compute_seconds: number; compute_cost_usd: number; cost_usd: number; calls: number };
      // At least the handler's sleep; at most the whole time the job took, rounded up.
      const tookSeconds = (Date.parse(String(done!.finished_at)) - Date.parse(String(done!.created_at))) / 1000;
      assert.ok(usage.compute_seconds >= 2 && usage.compute_seconds <= Math.ceil(tookSeconds) + 1, `${usage.compute_seconds} s`);
      assert.equal(usage.compute_cost_usd, computeCostUsd(usage.compute_seconds, { cpu: 1024, memoryMiB: 2048 }, price));
      assert.equal(done!.compute_cost_usd, usage.compute_cost_usd);
      assert.equal(usage.calls, 0);
      assert.equal(done!.cost_usd, 0, 'cost_usd stays the Claude cost');

      const report = (await (await fetch(`${system.url}/usage?from=${from}&group_by=job_type`)).json()) as {
        total: { compute_cost_usd: number; total_cost_usd: number; cost_usd: number };
        groups: { key: string; compute_cost_usd: number }[];
      };
      assert.ok(report.total.compute_cost_usd >= usage.compute_cost_usd);
      assert.equal(report.total.total_cost_usd, Math.round((report.total.cost_usd + report.total.compute_cost_usd) * 1e9) / 1e9);
      assert.ok((report.groups.find((g) => g.key === 'echo')?.compute_cost_usd ?? 0) >= usage.compute_cost_usd);

      const logStream = (done!.attempts[0] as unknown as { log_stream: { group: string; stream: string; console_url: string } | null })
        .log_stream;
      if (name === 'aws') {
        const taskId = String(done!.attempts[0]!.worker_ref).split('/').pop();
        assert.equal(logStream?.group, LOG_GROUP);
        assert.equal(logStream?.stream, `worker/worker/${taskId}`);
        assert.match(String(logStream?.console_url), /^https:\/\/[a-z0-9-]+\.console\.aws\.amazon\.com\/cloudwatch\/home\?region=/);
      } else assert.equal(logStream, null, 'a local process has no CloudWatch stream');
    });
  });
}
