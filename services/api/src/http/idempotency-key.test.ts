import assert from 'node:assert/strict';
import { test } from 'vitest';
import type { Context } from 'koa';
import { ValidationError } from '@agent-runner/shared/domain/errors.ts';
import { idempotencyKeyOf, requestHashOf } from './idempotency-key.ts';

const withHeader = (value: string) => ({ get: (name: string) => (name === 'Idempotency-Key' ? value : '') }) as unknown as Context;

test('the key is an sf-string (escapes undone) or a bare token; absent is null; anything else a 400', () => {
  assert.equal(idempotencyKeyOf(withHeader('')), null);
  assert.equal(idempotencyKeyOf(withHeader('"8e03978e-40d5-43e8-bc93-6894a57f9324"')), '8e03978e-40d5-43e8-bc93-6894a57f9324');
  assert.equal(idempotencyKeyOf(withHeader('"a \\"quoted\\" \\\\ key"')), 'a "quoted" \\ key');
  assert.equal(idempotencyKeyOf(withHeader('01K9ZQ3M5T')), '01K9ZQ3M5T');
  for (const bad of ['"', '""', '"a\\b"', 'two words', '"é"', `"${'k'.repeat(256)}"`]) {
    assert.throws(() => idempotencyKeyOf(withHeader(bad)), ValidationError, bad);
  }
});

test('the request hash ignores key order and spacing, and nothing else', () => {
  const a = requestHashOf({ job_type: 'echo', payload: { message: 'hi', sleep_ms: 1 } });
  assert.match(a, /^[0-9a-f]{64}$/);
  assert.equal(requestHashOf(JSON.parse('{ "payload": {"sleep_ms":1, "message":"hi"}, "job_type":"echo" }')), a);
  assert.notEqual(requestHashOf({ job_type: 'echo', payload: { message: 'hi', sleep_ms: 2 } }), a);
  assert.notEqual(requestHashOf([1, 2]), requestHashOf([2, 1]), 'array order matters');
  assert.notEqual(requestHashOf({ a: '1' }), requestHashOf({ a: 1 }), 'types matter');
});
