import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, test } from 'vitest';
import { ecsTaskArn, ecsTaskInfo } from './ecs-task-arn.ts';

const ARN = 'arn:aws:ecs:us-east-1:123456789012:task/agent-runner/0123456789abcdef';
let server: Server;
let base: string;

beforeAll(async () => {
  // Stands in for the ECS task metadata endpoint (v4): GET ${ECS_CONTAINER_METADATA_URI_V4}/task.
  server = createServer((req, res) => {
    if (req.url === '/v4/ok/task')
      return void res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ Cluster: 'agent-runner', TaskARN: ARN, PullStartedAt: '2026-12-03T04:00:01.5Z' }));
    if (req.url === '/v4/slow/task') return void setTimeout(() => res.end('{}'), 2000);
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v4`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

test('the task ARN comes from the metadata endpoint ECS names', async () => {
  assert.equal(await ecsTaskArn({ ECS_CONTAINER_METADATA_URI_V4: `${base}/ok` }), ARN);
});

test('outside ECS, on an error or a slow answer there is no ARN, and no wait beyond the timeout', async () => {
  assert.equal(await ecsTaskArn({}), null);
  assert.equal(await ecsTaskArn({ ECS_CONTAINER_METADATA_URI_V4: `${base}/missing` }), null);
  const started = Date.now();
  assert.equal(await ecsTaskArn({ ECS_CONTAINER_METADATA_URI_V4: `${base}/slow` }, 200), null);
  assert.ok(Date.now() - started < 1500);
});

test("the task's billing start is its image pull start, from the same answer", async () => {
  const info = await ecsTaskInfo({ ECS_CONTAINER_METADATA_URI_V4: `${base}/ok` });
  assert.equal(info.pullStartedAt?.toISOString(), '2026-12-03T04:00:01.500Z');
  assert.deepEqual(await ecsTaskInfo({}), { taskArn: null, pullStartedAt: null });
});
