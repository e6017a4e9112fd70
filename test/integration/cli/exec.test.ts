/**
 * `agent-runner exec` against a real system on the aws backend (moto). moto has no ExecuteCommand,
 * so the session itself is started against a stand-in ECS endpoint that answers DescribeTasks and
 * ExecuteCommand as ECS documents them, and a stand-in session-manager-plugin records what it was
 * given; without a plugin on PATH the command says how to install it and prints the aws line.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { getJob, postJob } from '../../support/api-client.ts';
import { runCli } from '../../support/cli.ts';
import { startSystem, type TestSystem } from '../../support/system.ts';
import { waitFor } from '../../support/wait-for.ts';

describe('agent-runner exec (aws backend)', () => {
  let system: TestSystem;
  let ecsStandIn: Server;
  let ecsUrl: string;
  let bin: string;
  const calls: { target: string; body: Record<string, unknown> }[] = [];

  beforeAll(async () => {
    system = await startSystem('aws', { AGENT_RUNNER_ECS_EXEC: 'true' });
    system.startDispatcher();
    ecsStandIn = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        const target = String(req.headers['x-amz-target']).split('.').pop()!;
        const body = JSON.parse(raw || '{}') as { tasks?: string[]; task?: string };
        calls.push({ target, body });
        const reply =
          target === 'DescribeTasks'
            ? {
                tasks: [{ taskArn: body.tasks?.[0], lastStatus: 'RUNNING', containers: [{ name: 'worker', runtimeId: 'abc-123' }] }],
                failures: [],
              }
            : {
                taskArn: body.task,
                containerName: 'worker',
                interactive: true,
                session: {
                  sessionId: 'ecs-execute-command-0f1',
                  streamUrl: 'wss://ssmmessages.us-east-1.amazonaws.com/v1/data-channel/ecs-execute-command-0f1',
                  tokenValue: 'token-xyz',
                },
              };
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(reply));
      });
    });
    await new Promise<void>((r) => ecsStandIn.listen(0, '127.0.0.1', r));
    ecsUrl = `http://127.0.0.1:${(ecsStandIn.address() as AddressInfo).port}`;
    bin = mkdtempSync(join(tmpdir(), 'agent-runner-exec-'));
  });
  afterAll(async () => {
    ecsStandIn?.close();
    await system?.stop();
    if (bin) rmSync(bin, { recursive: true, force: true });
  });

  test('opens the session in the running task through session-manager-plugin; without the plugin, says how', async () => {
    const job = await postJob(system.url, { job_type: 'echo', payload: { message: 'inspect me', sleep_ms: 20_000 } });
    const taskArn = await waitFor('the job to run', async () => {
      const seen = await getJob(system.url, job.job_id);
      return seen.status === 'RUNNING' ? String(seen.attempts[0]!.worker_ref) : undefined;
    });
    const cluster = system.config.aws!.ecs!.cluster;
    const base = {
      AGENT_RUNNER_API_URL: system.url,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    };

    const without = await runCli(['exec', job.job_id], { ...base, PATH: `${bin}:/usr/bin:/bin` });
    assert.equal(without.code, 1, without.stderr);
    assert.match(without.stderr, /session-manager-plugin is not on PATH/);
    assert.match(without.stderr, /session-manager-working-with-install-plugin\.html/);
    assert.ok(
      without.stderr.includes(
        `aws ecs execute-command --region us-east-1 --cluster ${cluster} --task ${taskArn} --container worker --interactive --command /bin/sh`,
      ),
      without.stderr,
    );

    // A stand-in plugin: records its arguments, as the real one would receive them, and exits 0.
    const recorded = join(bin, 'args.txt');
    writeFileSync(join(bin, 'session-manager-plugin'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${recorded}'\n`);
    chmodSync(join(bin, 'session-manager-plugin'), 0o755);
    const opened = await runCli(['exec', job.job_id, '--command', 'ls /app'], {
      ...base,
      PATH: `${bin}:/usr/bin:/bin`,
      AWS_ENDPOINT_URL: ecsUrl,
    });
    assert.equal(opened.code, 0, opened.stderr);
    const execute = calls.find((c) => c.target === 'ExecuteCommand');
    assert.deepEqual(execute?.body, { cluster, task: taskArn, container: 'worker', interactive: true, command: 'ls /app' });
    const [session, region, operation, profile, parameters, endpoint] = readFileSync(recorded, 'utf8').split('\n');
    assert.deepEqual(JSON.parse(session!), {
      SessionId: 'ecs-execute-command-0f1',
      StreamUrl: 'wss://ssmmessages.us-east-1.amazonaws.com/v1/data-channel/ecs-execute-command-0f1',
      TokenValue: 'token-xyz',
    });
    assert.deepEqual([region, operation, profile, endpoint], ['us-east-1', 'StartSession', '', ecsUrl]);
    assert.deepEqual(JSON.parse(parameters!), { Target: `ecs:${cluster}_${taskArn.split('/').pop()}_abc-123` });
    await fetch(`${system.url}/jobs/${job.job_id}/cancel`, { method: 'POST' });
  });
});
