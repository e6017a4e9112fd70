import assert from 'node:assert/strict';
import { test } from 'vitest';
import { JOB_STATUSES, TERMINAL_STATUSES, canTransition, isTerminal, legalSourcesOf } from './job-status.ts';

test('terminal states have no way out', () => {
  for (const from of TERMINAL_STATUSES) {
    for (const to of JOB_STATUSES) assert.equal(canTransition(from, to), false, `${from} -> ${to}`);
  }
});

test('the legal transitions are exactly the documented ones', () => {
  const legal = JOB_STATUSES.flatMap((from) => JOB_STATUSES.filter((to) => canTransition(from, to)).map((to) => `${from}->${to}`));
  assert.deepEqual(legal.sort(), [
    'DISPATCHED->CANCELLED',
    'DISPATCHED->FAILED',
    'DISPATCHED->QUEUED',
    'DISPATCHED->RUNNING',
    'DISPATCHED->TIMED_OUT',
    'QUEUED->CANCELLED',
    'QUEUED->DISPATCHED',
    'QUEUED->FAILED',
    'RUNNING->CANCELLED',
    'RUNNING->FAILED',
    'RUNNING->QUEUED',
    'RUNNING->SUCCEEDED',
    'RUNNING->TIMED_OUT',
    'WAITING->CANCELLED',
    'WAITING->FAILED',
    'WAITING->QUEUED',
    'WAITING->SKIPPED',
  ]);
});

test('only a running job can succeed, and nothing skips the claim', () => {
  assert.deepEqual(legalSourcesOf('SUCCEEDED'), ['RUNNING']);
  assert.deepEqual(legalSourcesOf('RUNNING'), ['DISPATCHED']);
  assert.deepEqual(legalSourcesOf('DISPATCHED'), ['QUEUED']);
  assert.equal(isTerminal('QUEUED'), false);
  assert.equal(isTerminal('CANCELLED'), true);
  assert.equal(isTerminal('WAITING'), false);
  assert.equal(isTerminal('SKIPPED'), true);
});
