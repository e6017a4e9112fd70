import assert from 'node:assert/strict';
import { test } from 'vitest';
import { parsePoolWorkerRef, poolWorkerRef } from './pool-launcher.ts';

test('a pool worker ref names the process and the attempt, and reads back', () => {
  const ref = poolWorkerRef(4242, '01M8X1TC05A8W5MDR4WKFQ3ZMF', 3);
  assert.equal(ref, 'pool:4242:01M8X1TC05A8W5MDR4WKFQ3ZMF:3');
  assert.deepEqual(parsePoolWorkerRef(ref), { pid: 4242, jobId: '01M8X1TC05A8W5MDR4WKFQ3ZMF', attempt: 3 });
});

test('refs of other launchers, and pids no process can have, are not pool refs', () => {
  for (const ref of [
    'pid:4242',
    'arn:aws:ecs:eu-west-1:1:task/c/abc',
    'pool:1:J:1',
    'pool:0:J:1',
    'pool:4194303999:J:1',
    'pool:42:a/b:1',
    'pool:42:J',
  ]) {
    assert.equal(parsePoolWorkerRef(ref), null, ref);
  }
});
