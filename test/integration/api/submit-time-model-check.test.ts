import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { startApiUnderTest, type ApiUnderTest } from './api-fixture.ts';

let api: ApiUnderTest;
beforeAll(async () => {
  api = await startApiUnderTest();
});
afterAll(() => api.stop());

test('a claude job naming a model the deployment does not allow is refused at submit time, naming the field, and nothing is stored', async () => {
  const res = await fetch(`${api.url}/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ job_type: 'claude_chat', payload: { prompt: 'hi', model: 'claude-2.0' } }),
  });
  assert.equal(res.status, 400);
  assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
  const problem = (await res.json()) as { errors: { path: string }[] };
  assert.ok(
    problem.errors.some((e) => e.path === 'payload.model'),
    JSON.stringify(problem),
  );
  assert.equal((await api.backend.jobs.list({ limit: 10 })).jobs.length, 0);
});

test('the default model is accepted', async () => {
  const res = await fetch(`${api.url}/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ job_type: 'claude_chat', payload: { prompt: 'hi' } }),
  });
  assert.equal(res.status, 202);
});
