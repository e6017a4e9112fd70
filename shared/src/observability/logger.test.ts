import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'vitest';
import { createLogger } from './logger.ts';

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  return { stream, text: () => text };
}

test('JSON lines carry the service, bound fields and level; payloads and API keys are redacted', async () => {
  const out = capture();
  const log = createLogger('dispatcher', 'info', { destination: out.stream });
  log
    .child({ job_id: '01JOB', attempt: 2, task_arn: 'arn:aws:ecs:us-east-1:1:task/c/abc' })
    .info({ payload: { secret: 's' }, apiKey: 'sk-x' }, 'worker launched');
  log.debug('not at info');
  await new Promise((r) => setImmediate(r));
  const lines = out.text().trim().split('\n');
  assert.equal(lines.length, 1);
  const line = JSON.parse(lines[0]!) as Record<string, unknown>;
  assert.equal(line.service, 'dispatcher');
  assert.equal(line.job_id, '01JOB');
  assert.equal(line.attempt, 2);
  assert.equal(line.task_arn, 'arn:aws:ecs:us-east-1:1:task/c/abc');
  assert.equal(line.level, 30);
  assert.equal(line.msg, 'worker launched');
  assert.equal(line.payload, '[redacted]');
  assert.equal(line.apiKey, '[redacted]');
  assert.match(String(line.time), /^\d{4}-\d\d-\d\dT/);
});

test('pretty output is one readable line per record, not JSON, with the redaction kept', async () => {
  const out = capture();
  const log = createLogger('api', 'info', { destination: out.stream, pretty: true });
  log.info({ job_id: '01JOB', apiKey: 'sk-x' }, 'api listening');
  await new Promise((r) => setImmediate(r));
  const text = out.text();
  assert.throws(() => JSON.parse(text.trim()));
  assert.match(text, /INFO.*api listening/);
  assert.match(text, /job_id: "01JOB"/);
  assert.doesNotMatch(text, /sk-x/);
});
