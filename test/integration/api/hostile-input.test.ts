import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { ProblemSchema } from '@agent-runner/api/schemas/problem.ts';
import { openRawConnection, readRawResponse, writeAll } from '../../support/raw-http.ts';
import { PROBLEM_JSON, postJson, startApiUnderTest, type ApiUnderTest } from './api-fixture.ts';

const ECHO = JSON.stringify({ job_type: 'echo', payload: { message: 'x' } });

/** Runs python3 with `script` and `args`; resolves with its exit code and output. */
function python(script: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-c', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A request through node:http, which (unlike fetch) lets a test set Host. */
function get(url: string, path: string, headers: Record<string, string>): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${path}`, { headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    });
    req.once('error', reject);
    // An answer that never ends (an event stream) fails the test instead of hanging it.
    req.setTimeout(5_000, () => req.destroy(new Error(`no whole answer to ${path} within 5 s`)));
    req.end();
  });
}

function problemOf(text: string) {
  return ProblemSchema.parse(JSON.parse(text));
}

describe('input that must not hurt the API', () => {
  let api: ApiUnderTest;
  beforeAll(async () => {
    api = await startApiUnderTest({ AGENT_RUNNER_ALLOWED_ORIGINS: 'https://ops.example.com' });
  });
  afterAll(() => api.stop());

  describe('a body over the limit', () => {
    test("Python's urllib, which sends the whole 3 MB body before reading, gets the 413 problem (not a broken pipe)", async () => {
      const script = `
import json, sys, urllib.request, urllib.error
body = b'{"job_type":"echo","payload":{"message":"' + b'x' * 3_000_000 + b'"}}'
req = urllib.request.Request(sys.argv[1] + '/jobs', data=body, headers={'content-type': 'application/json'})
try:
    urllib.request.urlopen(req, timeout=20)
    print(json.dumps({'status': 'accepted'}))
except urllib.error.HTTPError as e:
    print(json.dumps({'status': e.code, 'content_type': e.headers.get('content-type'), 'problem': json.loads(e.read())}))
`;
      const before = await api.snapshot();
      const run = await python(script, [api.url]);
      assert.equal(run.code, 0, run.stderr);
      const answer = JSON.parse(run.stdout) as { status: number; content_type: string; problem: unknown };
      assert.equal(answer.status, 413);
      assert.equal(answer.content_type, PROBLEM_JSON);
      assert.equal(problemOf(JSON.stringify(answer.problem)).type, 'urn:agent-runner:problem:payload-too-large');
      assert.deepEqual(await api.snapshot(), before);
    });

    test('a chunked 4 MB body written in full before reading gets the 413, and the connection then serves the next request', async () => {
      const socket = await openRawConnection(api.url);
      try {
        const chunk = 'x'.repeat(64 * 1024);
        let out = `POST /jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`;
        out += `${(30).toString(16)}\r\n${'{"job_type":"echo","payload":{'.padEnd(30)}\r\n`;
        await writeAll(socket, out);
        for (let sent = 0; sent < 4 * 1024 * 1024; sent += chunk.length)
          await writeAll(socket, `${chunk.length.toString(16)}\r\n${chunk}\r\n`);
        await writeAll(socket, '0\r\n\r\n');
        const refused = await readRawResponse(socket);
        assert.equal(refused.status, 413);
        assert.equal(refused.headers['content-type'], PROBLEM_JSON);
        assert.equal(problemOf(refused.body).type, 'urn:agent-runner:problem:payload-too-large');
        await writeAll(socket, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
        assert.equal((await readRawResponse(socket)).status, 200);
      } finally {
        socket.destroy();
      }
    });
  });

  describe('cross-site requests and foreign host names', () => {
    test("a JSON POST from another origin is refused (403) and creates nothing; the API's own origin and an allowed one may post", async () => {
      const before = await api.snapshot();
      const res = await postJson(`${api.url}/jobs`, JSON.parse(ECHO), { origin: 'http://evil.example' });
      assert.equal(res.status, 403);
      assert.equal(problemOf(await res.text()).type, 'urn:agent-runner:problem:origin-not-allowed');
      const form = await fetch(`${api.url}/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://evil.example' },
        body: ECHO,
      });
      assert.equal(form.status, 403, 'the form post a web page can send without asking');
      const nullOrigin = await postJson(`${api.url}/jobs`, JSON.parse(ECHO), { origin: 'null' });
      assert.equal(nullOrigin.status, 403, 'a sandboxed page or a file:// page');
      assert.deepEqual(await api.snapshot(), before);

      assert.equal((await postJson(`${api.url}/jobs`, JSON.parse(ECHO), { origin: api.url })).status, 202, 'the dashboard');
      assert.equal(
        (await postJson(`${api.url}/jobs`, JSON.parse(ECHO), { origin: 'https://ops.example.com' })).status,
        202,
        'AGENT_RUNNER_ALLOWED_ORIGINS',
      );
      assert.equal((await postJson(`${api.url}/jobs`, JSON.parse(ECHO))).status, 202, 'no Origin: a script or the CLI');
    });

    test('another origin cannot cancel a job', async () => {
      const created = (await (await postJson(`${api.url}/jobs`, JSON.parse(ECHO))).json()) as { job_id: string };
      const res = await fetch(`${api.url}/jobs/${created.job_id}/cancel`, { method: 'POST', headers: { origin: 'http://evil.example' } });
      assert.equal(res.status, 403);
      assert.equal((await api.backend.jobs.get(created.job_id))?.status, 'QUEUED');
    });

    test('a Host other than the loopback names is refused (421): DNS rebinding; the loopback names are served', async () => {
      const { port } = new URL(api.url);
      const rebound = await get(api.url, '/jobs', { host: `evil.example:${port}` });
      assert.equal(rebound.status, 421);
      assert.equal(rebound.type, PROBLEM_JSON);
      assert.equal(problemOf(rebound.body).type, 'urn:agent-runner:problem:unknown-host');
      for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `LOCALHOST:${port}`]) {
        assert.equal((await get(api.url, '/healthz', { host })).status, 200, host);
      }
    });
  });

  describe('error replies are bounded', () => {
    test('a 900 KB body with 100,000 unknown keys is refused before it is parsed: a small 400, the event loop hardly held', async () => {
      const keys = Array.from({ length: 100_000 }, (_, i) => `"${i.toString(36)}":0`).join(',');
      const body = `{"job_type":"echo","payload":{"message":"x"},${keys}}`;
      assert.ok(body.length > 800_000 && body.length < 1_000_000, String(body.length));
      const delay = monitorEventLoopDelay({ resolution: 10 });
      delay.enable();
      const res = await fetch(`${api.url}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const text = await res.text();
      delay.disable();
      assert.equal(res.status, 400);
      assert.ok(text.length < 2_000, `the answer is ${text.length} bytes`);
      const problem = problemOf(text);
      assert.equal(problem.type, 'urn:agent-runner:problem:invalid-json');
      assert.match(problem.detail, /more than 1000 members/);
      // It was 6.4 MB and ~0.4 s (parsing one such object alone takes 0.2-0.7 s). Generous for a shared 2-core machine.
      assert.ok(delay.max / 1e6 < 150, `the event loop was blocked for ${Math.round(delay.max / 1e6)} ms`);
    });

    test('900 unknown keys: the problem lists 20 of them and says how many more', async () => {
      const keys = Array.from({ length: 900 }, (_, i) => `"extra_${i}":0`).join(',');
      const res = await fetch(`${api.url}/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: `{"job_type":"echo","payload":{"message":"x"},${keys}}`,
      });
      assert.equal(res.status, 400);
      const problem = problemOf(await res.text());
      assert.deepEqual(
        problem.errors?.map((e) => e.path),
        Array.from({ length: 20 }, (_, i) => `extra_${i}`),
      );
      assert.equal(problem.more_errors, 880);
      assert.match(problem.detail, /extra_19: unknown field; and 880 more$/);
    });
  });

  describe('every error is a problem', () => {
    test('TRACE on a served path is a 405 problem with Allow, logged as a client error', async () => {
      // fetch refuses to send TRACE (a forbidden method); node:http sends it.
      const answer = await new Promise<{ status: number; type: string; allow: string; body: string }>((resolve, reject) => {
        const req = httpRequest(`${api.url}/jobs`, { method: 'TRACE', headers: { 'x-request-id': 'trace-1' } }, (r) => {
          let body = '';
          r.on('data', (c: Buffer) => (body += c.toString()));
          r.on('end', () =>
            resolve({ status: r.statusCode ?? 0, type: String(r.headers['content-type']), allow: String(r.headers.allow), body }),
          );
        });
        req.once('error', reject);
        req.end();
      });
      assert.equal(answer.status, 405);
      assert.equal(answer.type, PROBLEM_JSON);
      assert.match(answer.allow, /POST/);
      assert.equal(problemOf(answer.body).status, 405);
      const line = api.logs.find((l) => l.request_id === 'trace-1');
      assert.ok(line, 'the request is logged');
      assert.ok(Number(line.level) < 50, 'not as an error');
    });

    test('a 20 KB query string gets a 431 problem, a malformed request a 400 problem', async () => {
      const long = await get(api.url, `/jobs?status=${'a'.repeat(20_000)}`, {});
      assert.equal(long.status, 431);
      assert.equal(long.type, PROBLEM_JSON);
      assert.equal(problemOf(long.body).type, 'urn:agent-runner:problem:headers-too-large');

      const socket = await openRawConnection(api.url);
      try {
        await writeAll(socket, 'GET /jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nNo colon here\r\n\r\n');
        const malformed = await readRawResponse(socket);
        assert.equal(malformed.status, 400);
        assert.equal(malformed.headers['content-type'], PROBLEM_JSON);
        assert.equal(problemOf(malformed.body).type, 'urn:agent-runner:problem:malformed-request');
      } finally {
        socket.destroy();
      }
    });
  });
});

describe('slow clients cannot starve the others', () => {
  let api: ApiUnderTest;
  beforeAll(async () => {
    api = await startApiUnderTest({ AGENT_RUNNER_HEADERS_TIMEOUT_SECONDS: '1', AGENT_RUNNER_REQUEST_TIMEOUT_SECONDS: '2' });
  });
  afterAll(() => api.stop());

  test('20 clients dribbling headers and 20 dribbling a body: others are served at once; the slow ones get a 408 problem', async () => {
    const sockets = await Promise.all(Array.from({ length: 40 }, () => openRawConnection(api.url)));
    const answers = sockets.map((socket) => readRawResponse(socket, 10_000));
    const started = Date.now();
    for (const [i, socket] of sockets.entries()) {
      socket.write(
        i < 20
          ? 'POST /jobs HTTP/1.1\r\nHost: 127.0.0.1\r\n'
          : `POST /jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${ECHO.length}\r\n\r\n{`,
      );
    }
    const dribble = setInterval(() => {
      for (const [i, socket] of sockets.entries()) if (socket.writable) socket.write(i < 20 ? 'X-Slow: 1\r\n' : ' ');
    }, 200);
    try {
      for (let i = 0; i < 5; i++) {
        const t0 = Date.now();
        const res = await postJson(`${api.url}/jobs`, JSON.parse(ECHO));
        assert.equal(res.status, 202);
        assert.ok(Date.now() - t0 < 1000, `a normal request took ${Date.now() - t0} ms`);
      }
      const settled = await Promise.all(answers);
      for (const answer of settled) {
        assert.equal(answer.status, 408);
        assert.equal(answer.headers['content-type'], PROBLEM_JSON);
        assert.equal(problemOf(answer.body).type, 'urn:agent-runner:problem:request-timeout');
      }
      assert.ok(Date.now() - started < 6000, `the slow clients were cut after ${Date.now() - started} ms`);
    } finally {
      clearInterval(dribble);
      for (const socket of sockets) socket.destroy();
    }
  });
});

describe('cases the OpenAPI fuzz found (test/integration/api/openapi-fuzz.test.ts)', () => {
  let api: ApiUnderTest;
  beforeAll(async () => {
    api = await startApiUnderTest();
  });
  afterAll(() => api.stop());

  test('a resume point that is not digits only is a 400, in the query or the header, even when empty', async () => {
    const created = (await (await postJson(`${api.url}/jobs`, JSON.parse(ECHO))).json()) as { job_id: string };
    const events = `/jobs/${created.job_id}/events`;
    for (const [path, headers] of [
      [`${events}?after=`, {}],
      [`${events}?after=1e3`, {}],
      [`${events}?after=-1`, {}],
      [`${events}?after=1&after=2`, {}],
      [`${events}?after=0`, { 'last-event-id': '' }],
      [events, { 'last-event-id': '7a' }],
    ] as const) {
      const res = await get(api.url, path, headers);
      assert.equal(res.status, 400, `${path} ${JSON.stringify(headers)}`);
      assert.equal(problemOf(res.body).type, 'urn:agent-runner:problem:bad-event-id');
    }
  });

  test('the event stream is documented event by event: its `end` event matches the ServerSentEvent schema', async () => {
    const document = (await (await fetch(`${api.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, { content: Record<string, { schema: { $ref: string } }> }> }>>;
      components: { schemas: Record<string, { type: string; required: string[] }> };
    };
    const schema = document.paths['/jobs/{id}/events']!.get!.responses['200']!.content['text/event-stream']!.schema;
    assert.equal(schema.$ref, '#/components/schemas/ServerSentEvent');
    const event = document.components.schemas.ServerSentEvent!;
    assert.equal(event.type, 'object');
    assert.deepEqual(event.required, ['data']);

    const created = (await (await postJson(`${api.url}/jobs`, JSON.parse(ECHO))).json()) as { job_id: string };
    await fetch(`${api.url}/jobs/${created.job_id}/cancel`, { method: 'POST' });
    const stream = await (await fetch(`${api.url}/jobs/${created.job_id}/events`)).text();
    assert.match(stream, /event: end\ndata: \{"status":"CANCELLED"\}\n\n$/);
  });
});
