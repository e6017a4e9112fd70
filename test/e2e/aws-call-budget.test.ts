/**
 * The AWS calls an echo job costs on its path, API → SUCCEEDED, one-shot and pooled (on the warm
 * pool's queue), counted at the emulator by the bench's counting proxy (bench/aws-calls-per-job.ts):
 * a change that adds a read or a write per job fails here, not only in `npm run bench`. Timers and
 * polls (receives, the reaper's listing, visibility heartbeats, a pool worker's empty long polls)
 * grow with time, not jobs, and are left out.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { countAwsCallsPerJob, isTimed, pathPerJob } from '../../bench/aws-calls-per-job.ts';
import { skipUnlessAws } from '../support/aws-test-env.ts';
import { motoEndpoint } from '../support/moto.ts';

const JOBS = 5;

describe('AWS calls per echo job', { skip: Boolean(skipUnlessAws()) }, () => {
  test('13 on the happy path: no read before a planned write, no slot reads, no blob copy', { timeout: 240_000 }, async () => {
    const count = await countAwsCallsPerJob(JOBS, 4, 1, await motoEndpoint());
    const path = [...count.calls].filter(([key]) => !isTimed(key));
    const perJob = (key: string) => (count.calls.get(key) ?? 0) / JOBS;
    const total = path.reduce((n, [, v]) => n + v, 0) / JOBS;
    const shown = path.map(([k, v]) => `${k}: ${v}`).join('; ');
    // 13 when every delivery is received once; a slow emulator can redeliver a message whose
    // visibility ran out mid-launch (one more read of the job), hence the margin.
    assert.ok(total <= 14, `${total} calls per job on the path (${shown})`);
    assert.equal(perJob('worker DynamoDB.GetItem (jobs)'), 1, 'the worker reads its job once');
    assert.equal(perJob('worker DynamoDB.TransactWriteItems (leases)'), 1, 'and releases its slots in one write');
    assert.equal(perJob('system DynamoDB.TransactWriteItems (leases)'), 1, 'slots are taken in one write');
    for (const gone of ['worker S3.PutObject', 'worker DynamoDB.Query (events)', 'system DynamoDB.BatchGetItem (leases)']) {
      assert.equal(count.calls.get(gone) ?? 0, 0, `${gone} (${shown})`);
    }
    assert.equal(count.calls.get('worker DynamoDB.GetItem (leases)') ?? 0, 0, 'no slot read before the release');
    assert.equal(count.calls.get('system DynamoDB.GetItem (leases)') ?? 0, 0, 'nor before the acquire');
  });

  test('15 pooled: the hand-off replaces RunTask, and the pool worker pays its receive and delete', { timeout: 300_000 }, async () => {
    const count = await countAwsCallsPerJob(JOBS, 4, 1, await motoEndpoint(), 'pooled');
    const path = [...count.calls].filter(([key]) => !isTimed(key));
    const perJob = (key: string) => (count.calls.get(key) ?? 0) / JOBS;
    const shown = path.map(([k, v]) => `${k}: ${v}`).join('; ');
    // 15 when every delivery is received once and the dispatcher records the launch before the pool
    // worker starts the attempt; a slow emulator can redeliver a job message, or let the pool worker
    // start first (a refused write and a read, on either side), hence the margin.
    assert.ok(pathPerJob(count) <= 16, `${pathPerJob(count)} calls per job on the path (${shown})`);
    const calls: [string, number, string][] = [
      ['system DynamoDB.PutItem (jobs)', 1, "the API writes the job's record"],
      ['system SQS.SendMessage (normal)', 1, "and sends the job's message"],
      ['system DynamoDB.TransactWriteItems (leases)', 1, 'the dispatcher takes its slots in one write'],
      ['system SQS.SendMessage (pool)', 1, 'and hands the attempt to the pool queue'],
      ['system SQS.DeleteMessage (normal)', 1, "and deletes the job's message once the launch is recorded"],
      ['pool-worker SQS.ReceiveMessage (pool)', 1, 'a pool worker takes the hand-off, one message per receive'],
      ['pool-worker DynamoDB.TransactWriteItems (events)', 1, 'attempt_started + attempt_succeeded in one flush'],
      ['pool-worker DynamoDB.TransactWriteItems (leases)', 1, 'and releases its slots in one write'],
      ['pool-worker SQS.DeleteMessage (pool)', 1, 'and deletes the hand-off once the end is recorded'],
    ];
    for (const [key, n, why] of calls) assert.equal(perJob(key), n, `${key}: ${why} (${shown})`);
    // The claim and the launch record; RUNNING and SUCCEEDED with the result. One more when the
    // pool worker's start races the launch record (the refused side writes again after a read).
    assert.ok(perJob('system DynamoDB.UpdateItem (jobs)') >= 2 && perJob('system DynamoDB.UpdateItem (jobs)') <= 2.4, shown);
    assert.ok(perJob('pool-worker DynamoDB.UpdateItem (jobs)') >= 2 && perJob('pool-worker DynamoDB.UpdateItem (jobs)') <= 2.4, shown);
    // The pool worker's read of its job (the hand-off carries only the id); again after a refused
    // start. The dispatcher's read of the delivered job (triage and scheduling) is not asserted alone:
    // a reaper round in the run re-reads each pooled job it finds active (QueuePoolLauncher.inspectAll),
    // the same action on a timer.
    assert.ok(perJob('pool-worker DynamoDB.GetItem (jobs)') >= 1 && perJob('pool-worker DynamoDB.GetItem (jobs)') <= 1.4, shown);
    // A pooled job starts no task, and the calls cut from the one-shot path stay cut on the pool's.
    for (const gone of [
      'system ECS.RunTask',
      'worker DynamoDB.GetItem (jobs)',
      'pool-worker S3.PutObject',
      'pool-worker DynamoDB.Query (events)',
      'pool-worker DynamoDB.GetItem (leases)',
      'system DynamoDB.BatchGetItem (leases)',
      'system DynamoDB.GetItem (leases)',
    ]) {
      assert.equal(count.calls.get(gone) ?? 0, 0, `${gone} (${shown})`);
    }
  });
});
