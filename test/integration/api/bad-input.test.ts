import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { ProblemSchema } from '@agent-runner/api/schemas/problem.ts';
import { PROBLEM_JSON, startApiUnderTest, type ApiUnderTest } from './api-fixture.ts';

const LIMIT = 2048;

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  errors?: { path: string; message: string }[];
}

interface BadInput {
  name: string;
  headers?: Record<string, string>;
  /** Sent as is; an object is sent as its JSON. */
  body: string | Uint8Array | ReadableStream<Uint8Array> | object;
  status: number;
  problem: string;
  /** The field paths the problem must name, in order. */
  paths?: string[];
  /** Something the detail must say. */
  detail?: RegExp;
}

const echo = (payload: unknown, extra: object = {}) => ({ job_type: 'echo', payload, ...extra });

function nested(depth: number): string {
  return `{"job_type":"echo","payload":{"message":"x","deep":${'['.repeat(depth)}${']'.repeat(depth)}}}`;
}

/** A body sent in chunks with no Content-Length, so only counting while reading can catch its size. */
function chunked(totalBytes: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= totalBytes) return controller.close();
      const chunk = new TextEncoder().encode(sent === 0 ? '{"job_type":"echo","payload":{"message":"' : 'x'.repeat(256));
      sent += chunk.length;
      controller.enqueue(chunk);
    },
  });
}

const CASES: BadInput[] = [
  {
    name: 'no Content-Type',
    headers: {},
    body: new TextEncoder().encode(JSON.stringify(echo({ message: 'x' }))),
    status: 415,
    problem: 'unsupported-media-type',
  },
  {
    name: 'text/plain',
    headers: { 'content-type': 'text/plain' },
    body: JSON.stringify(echo({ message: 'x' })),
    status: 415,
    problem: 'unsupported-media-type',
  },
  {
    name: 'a charset other than UTF-8',
    headers: { 'content-type': 'application/json; charset=latin1' },
    body: echo({ message: 'x' }),
    status: 415,
    problem: 'unsupported-media-type',
  },
  {
    name: 'a real HTML form body',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'job_type=echo&payload=x',
    status: 415,
    problem: 'unsupported-media-type',
  },
  {
    name: 'a multipart form body',
    headers: { 'content-type': 'multipart/form-data; boundary=x' },
    body: '--x\r\n\r\n{}\r\n--x--',
    status: 415,
    problem: 'unsupported-media-type',
  },
  { name: 'malformed JSON', body: '{"job_type": "echo", ', status: 400, problem: 'invalid-json', detail: /not valid JSON/ },
  { name: 'an empty body', body: '', status: 400, problem: 'invalid-json', detail: /empty/ },
  {
    name: 'bytes that are not UTF-8',
    body: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
    status: 400,
    problem: 'invalid-json',
    detail: /UTF-8/,
  },
  { name: 'nesting too deep to handle safely', body: nested(500), status: 400, problem: 'invalid-json', detail: /deeper than/ },
  {
    name: 'a body over the limit (by Content-Length)',
    body: echo({ message: 'x'.repeat(LIMIT) }),
    status: 413,
    problem: 'payload-too-large',
    detail: new RegExp(`${LIMIT} bytes`),
  },
  { name: 'a chunked body over the limit', body: chunked(LIMIT * 4), status: 413, problem: 'payload-too-large' },
  { name: 'a body that is not an object', body: [echo({ message: 'x' })], status: 400, problem: 'invalid-request', paths: ['(body)'] },
  {
    name: 'an unknown job_type',
    body: echo({ message: 'x' }, { job_type: 'launch_rockets' }),
    status: 400,
    problem: 'unknown-job-type',
    paths: ['job_type'],
    detail: /"launch_rockets".*echo, sleep/,
  },
  {
    name: 'a missing job_type',
    body: { payload: { message: 'x' } },
    status: 400,
    problem: 'invalid-request',
    paths: ['job_type'],
    detail: /job_type: required/,
  },
  {
    name: 'a missing payload',
    body: { job_type: 'echo' },
    status: 400,
    problem: 'invalid-request',
    paths: ['payload'],
    detail: /payload: required/,
  },
  {
    name: 'a payload the job type refuses',
    body: echo({ message: 42 }),
    status: 400,
    problem: 'invalid-payload',
    paths: ['payload.message'],
  },
  { name: 'a payload missing a field', body: echo({}), status: 400, problem: 'invalid-payload', paths: ['payload.message'] },
  {
    name: 'a claude_chat payload with neither prompt nor messages',
    body: { job_type: 'claude_chat', payload: {} },
    status: 400,
    problem: 'invalid-payload',
    paths: ['payload.prompt'],
    detail: /prompt or messages \(one of them\)/,
  },
  {
    name: 'a payload with an unknown field',
    body: echo({ message: 'x', colour: 'red' }),
    status: 400,
    problem: 'invalid-payload',
    paths: ['payload.colour'],
  },
  {
    name: 'bad options',
    body: echo({ message: 'x' }, { priority: 'urgent', max_attempts: 0, timeout_seconds: 1.5, ordering_key: 'has space', tenant: '' }),
    status: 400,
    problem: 'invalid-request',
    paths: ['priority', 'ordering_key', 'tenant', 'max_attempts', 'timeout_seconds'],
  },
  {
    name: 'an unknown top-level field',
    body: echo({ message: 'x' }, { priorty: 'high' }),
    status: 400,
    problem: 'invalid-request',
    paths: ['priorty'],
  },
];

describe('bad input to POST /jobs is refused with a problem and changes nothing', () => {
  let api: ApiUnderTest;
  beforeAll(async () => {
    api = await startApiUnderTest({ AGENT_RUNNER_MAX_PAYLOAD_BYTES: String(LIMIT) });
    // One job already there, so "unchanged" is checked against a non-empty store and queue.
    const res = await fetch(`${api.url}/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(echo({ message: 'x' })),
    });
    assert.equal(res.status, 202);
  });
  afterAll(() => api.stop());

  for (const c of CASES) {
    test(`${c.name}: ${c.status} ${c.problem}`, async () => {
      const before = await api.snapshot();
      const raw = typeof c.body === 'string' || c.body instanceof Uint8Array || c.body instanceof ReadableStream;
      const res = await fetch(`${api.url}/jobs`, {
        method: 'POST',
        headers: c.headers ?? { 'content-type': 'application/json' },
        body: raw ? (c.body as NonNullable<RequestInit['body']>) : JSON.stringify(c.body),
        ...(c.body instanceof ReadableStream && { duplex: 'half' }),
      });
      assert.equal(res.status, c.status);
      assert.equal(res.headers.get('content-type'), PROBLEM_JSON);
      const problem = ProblemSchema.parse(await res.json()) as Problem;
      assert.equal(problem.type, `urn:agent-runner:problem:${c.problem}`);
      assert.equal(problem.status, c.status);
      assert.equal(problem.instance, '/jobs');
      assert.ok(problem.title.length > 0 && problem.detail.length > 0);
      if (c.paths)
        assert.deepEqual(
          problem.errors?.map((e) => e.path),
          c.paths,
          JSON.stringify(problem.errors),
        );
      if (c.detail) assert.match(problem.detail, c.detail);
      assert.deepEqual(await api.snapshot(), before, 'the job store and the queue are unchanged');
    });
  }

  test('a body of exactly the limit is accepted', async () => {
    const frame = JSON.stringify(echo({ message: '' }));
    const body = JSON.stringify(echo({ message: 'x'.repeat(LIMIT - Buffer.byteLength(frame)) }));
    assert.equal(Buffer.byteLength(body), LIMIT);
    const res = await fetch(`${api.url}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    assert.equal(res.status, 202, await res.clone().text());
  });
});
