import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { postJob, waitUntilTerminal } from '../../support/api-client.ts';
import { runCli } from '../../support/cli.ts';
import { startSystem, type TestSystem } from '../../support/system.ts';

describe('agent-runner logs against the real API, dispatcher and workers (embedded backend)', () => {
  let system: TestSystem;
  let env: Record<string, string>;
  beforeAll(async () => {
    system = await startSystem('embedded');
    system.startDispatcher();
    env = { AGENT_RUNNER_API_URL: system.url };
  });
  afterAll(() => system.stop());

  test("a finished job's events, one per line, then its outcome; --json gives JSON lines ending with the outcome", async () => {
    const job = await postJob(system.url, { job_type: 'echo', payload: { message: 'logged' } });
    await waitUntilTerminal(system.url, [job.job_id], 30_000);
    const res = await runCli(['logs', job.job_id], env);
    assert.equal(res.code, 0, res.stderr);
    const lines = res.stdout.trim().split('\n');
    assert.match(lines[0]!, /^\d\d:\d\d:\d\d\.\d{3} #1 attempt_started \{"attempt":1\}$/);
    assert.match(lines.at(-1)!, /^\d\d:\d\d:\d\d\.\d{3} #1 attempt_succeeded \{"attempt":1\}$/);
    assert.equal(res.stderr, 'job SUCCEEDED\n');

    const json = await runCli(['logs', job.job_id, '--json'], env);
    const items = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; seq?: number; status?: string });
    assert.deepEqual(items.at(-1), { type: 'end', status: 'SUCCEEDED' });
    assert.deepEqual(
      items.slice(0, -1).map((e) => e.seq),
      items.slice(0, -1).map((_, i) => i + 1),
    );
  });

  test('--follow on a running job prints until it ends; the exit code is 1 when it failed', async () => {
    const job = await postJob(system.url, { job_type: 'echo', payload: { message: 'x', sleep_ms: 1200, fail: 'fatal' } });
    const res = await runCli(['logs', job.job_id, '--follow'], env);
    assert.equal(res.code, 1, res.stderr);
    assert.match(res.stdout, /#1 attempt_started/);
    assert.match(res.stdout, /#1 attempt_failed \{"attempt":1,"kind":"fatal","message":"echo was asked to fail \(fatal\)"\}/);
    assert.equal(res.stderr, 'job FAILED\n');
  });

  test('without --follow, a running job: prints what is there and returns without waiting for the end', async () => {
    const job = await postJob(system.url, { job_type: 'echo', payload: { message: 'x', sleep_ms: 8000 } });
    const started = await waitForStatus(system.url, job.job_id, 'RUNNING');
    assert.ok(started);
    const t0 = Date.now();
    const res = await runCli(['logs', job.job_id], env);
    assert.equal(res.code, 0, res.stderr);
    assert.ok(Date.now() - t0 < 5_000, `returned after ${Date.now() - t0} ms`);
    assert.match(res.stdout, /#1 attempt_started/);
    assert.doesNotMatch(res.stdout, /attempt_succeeded/);
    assert.equal(res.stderr, '');
    await runCli(['cancel', job.job_id], env);
  });

  test('an unknown job exits 1 at once', async () => {
    const res = await runCli(['logs', '01ARZ3NDEKTSV4RRFFQ69G5FAV', '--follow'], env);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /not found/);
  });
});

async function waitForStatus(url: string, jobId: string, status: string): Promise<boolean> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const job = (await (await fetch(`${url}/jobs/${jobId}`)).json()) as { status: string };
    if (job.status === status) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

// The real API cannot be made to drop a stream halfway, so this part runs against a stand-in that
// speaks the documented SSE shape (ids = sequence numbers, `end` with the terminal status).
describe('agent-runner logs --follow across a dropped connection (stand-in event stream)', () => {
  const JOB_ID = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
  const deltas = ['Hel', 'lo ', 'wor', 'ld', '!\n'];
  const connections: (string | null)[] = [];
  let server: Server;
  let url: string;

  const frame = (seq: number) =>
    `id: ${seq}\nevent: text_delta\ndata: ${JSON.stringify({ seq, at: '2026-01-01T00:00:00.000Z', attempt: 1, type: 'text_delta', data: { text: deltas[seq - 1] } })}\n\n`;

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      if (req.url === `/jobs/${JOB_ID}`) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ job_id: JOB_ID, status: 'RUNNING' }));
        return;
      }
      if (req.url !== `/jobs/${JOB_ID}/events`) {
        res.writeHead(404).end();
        return;
      }
      const lastId = req.headers['last-event-id'];
      connections.push(typeof lastId === 'string' ? lastId : null);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('retry: 50\n\n');
      if (connections.length === 1) {
        // Three deltas, then the connection dies mid-event.
        res.write(frame(1) + frame(2) + frame(3) + 'id: 4\nevent: text_d');
        setTimeout(() => res.socket?.destroy(), 50);
        return;
      }
      const after = Number(lastId ?? 0);
      for (let seq = after + 1; seq <= deltas.length; seq++) res.write(frame(seq));
      res.end('event: end\ndata: {"status":"FAILED"}\n\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('reconnects with Last-Event-ID: every text delta printed once, in order; exit 1 for a FAILED job', async () => {
    const res = await runCli(['logs', JOB_ID, '--follow', '--api', url], {});
    assert.equal(res.code, 1, res.stderr);
    assert.equal(res.stdout, 'Hello world!\n');
    assert.deepEqual(connections, [null, '3']);
    assert.match(res.stderr, /^\(connection lost; resuming after event 3\)\njob FAILED\n$/);
  });
});
