/**
 * `agent-runner logs` on the aws backend: the ECS launcher records each attempt's awslogs stream,
 * and the CLI reads it from CloudWatch Logs (moto here; no task really runs in the emulator, so the
 * test writes the lines a worker would have into the very stream the attempt names).
 */
import assert from 'node:assert/strict';
import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { getJob, postJob, waitUntilTerminal } from '../../support/api-client.ts';
import { runCli } from '../../support/cli.ts';
import { startSystem, type TestSystem } from '../../support/system.ts';
import { waitFor } from '../../support/wait-for.ts';

const GROUP = `/ecs/agent-runner-logs-${Date.now()}`;

interface LogStreamView {
  group: string;
  stream: string;
  region: string;
}

describe('agent-runner logs reads the attempt’s CloudWatch Logs stream (aws backend)', () => {
  let system: TestSystem;
  let logs: CloudWatchLogsClient;
  let env: Record<string, string>;
  beforeAll(async () => {
    system = await startSystem('aws', { AGENT_RUNNER_WORKER_LOG_GROUP: GROUP });
    system.startDispatcher();
    logs = new CloudWatchLogsClient({ region: system.config.aws!.region, endpoint: system.env.AWS_ENDPOINT_URL! });
    await logs.send(new CreateLogGroupCommand({ logGroupName: GROUP }));
    env = {
      AGENT_RUNNER_API_URL: system.url,
      AWS_ENDPOINT_URL: system.env.AWS_ENDPOINT_URL!,
      AWS_ACCESS_KEY_ID: system.env.AWS_ACCESS_KEY_ID!,
      AWS_SECRET_ACCESS_KEY: system.env.AWS_SECRET_ACCESS_KEY!,
    };
  });
  afterAll(async () => {
    logs?.destroy();
    await system?.stop();
  });

  async function streamOf(jobId: string): Promise<LogStreamView> {
    return waitFor('the launch to be recorded', async () => {
      const attempt = (await getJob(system.url, jobId)).attempts[0] as unknown as { log_stream: LogStreamView | null } | undefined;
      return attempt?.log_stream ?? undefined;
    });
  }

  async function put(log: LogStreamView, ...messages: string[]): Promise<void> {
    const now = Date.now();
    await logs.send(
      new PutLogEventsCommand({
        logGroupName: log.group,
        logStreamName: log.stream,
        logEvents: messages.map((message, i) => ({ timestamp: now + i, message })),
      }),
    );
  }

  test('--follow prints the lines as they arrive and ends with the job; without it, what is there', async () => {
    const job = await postJob(system.url, { job_type: 'echo', payload: { message: 'watched', sleep_ms: 6000 } });
    const log = await streamOf(job.job_id);
    assert.equal(log.group, GROUP);
    await logs.send(new CreateLogStreamCommand({ logGroupName: log.group, logStreamName: log.stream }));
    await put(log, '{"msg":"attempt started"}', '{"msg":"working"}');

    const following = runCli(['logs', job.job_id, '--follow'], env, { timeoutMs: 90_000 });
    await new Promise((r) => setTimeout(r, 2500));
    await put(log, '{"msg":"attempt succeeded"}');
    const res = await following;
    assert.equal(res.code, 0, res.stderr);
    const lines = res.stdout.trim().split('\n');
    assert.equal(lines[0], `── attempt 1: ${GROUP} ${log.stream}`);
    assert.deepEqual(
      lines.slice(1).map((l) => l.replace(/^\d\d:\d\d:\d\d\.\d{3} /, '')),
      ['#1 {"msg":"attempt started"}', '#1 {"msg":"working"}', '#1 {"msg":"attempt succeeded"}'],
    );
    const [done] = await waitUntilTerminal(system.url, [job.job_id], 30_000);
    assert.equal(done?.status, 'SUCCEEDED');

    const json = await runCli(['logs', job.job_id, '--json'], env);
    assert.equal(json.code, 0, json.stderr);
    const items = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { attempt: number; message: string });
    assert.deepEqual(
      items.map((i) => [i.attempt, i.message]),
      [
        [1, '{"msg":"attempt started"}'],
        [1, '{"msg":"working"}'],
        [1, '{"msg":"attempt succeeded"}'],
      ],
    );

    // The job's events are still there on request.
    const events = await runCli(['logs', job.job_id, '--events'], env);
    assert.match(events.stdout, /#1 attempt_succeeded/);
  });
});
