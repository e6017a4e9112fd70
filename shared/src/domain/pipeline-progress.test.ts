import assert from 'node:assert/strict';
import { test } from 'vitest';
import type { JobStatus } from './job-status.ts';
import { decideWaitingStep, rollUpStatus } from './pipeline-progress.ts';

const statuses = (map: Record<string, JobStatus>) => (name: string) => map[name];

test('a waiting step runs when all it needs succeeded, waits while one runs, is skipped after a failure', () => {
  const step = { needs: ['a', 'b'], continueOnFailure: false };
  assert.deepEqual(decideWaitingStep(step, statuses({ a: 'SUCCEEDED', b: 'RUNNING' }), false), { kind: 'wait' });
  assert.deepEqual(decideWaitingStep(step, statuses({ a: 'SUCCEEDED', b: 'SUCCEEDED' }), false), { kind: 'release' });
  assert.deepEqual(decideWaitingStep(step, statuses({ a: 'SUCCEEDED', b: 'TIMED_OUT' }), false), {
    kind: 'skip',
    reason: 'step "b" it needs ended TIMED_OUT',
  });
  assert.deepEqual(decideWaitingStep({ ...step, continueOnFailure: true }, statuses({ a: 'FAILED', b: 'SKIPPED' }), false), {
    kind: 'release',
  });
  assert.deepEqual(decideWaitingStep(step, statuses({ a: 'RUNNING', b: 'RUNNING' }), true), { kind: 'cancel' });
});

test('the pipeline runs until every step ended, then rolls up', () => {
  assert.equal(rollUpStatus(['SUCCEEDED', 'WAITING'], false), 'RUNNING');
  assert.equal(rollUpStatus(['SUCCEEDED', undefined], false), 'RUNNING');
  assert.equal(rollUpStatus(['SUCCEEDED', 'SUCCEEDED'], false), 'SUCCEEDED');
  assert.equal(rollUpStatus(['SUCCEEDED', 'SKIPPED', 'FAILED'], false), 'FAILED');
  assert.equal(rollUpStatus(['SUCCEEDED', 'CANCELLED'], true), 'CANCELLED');
});
