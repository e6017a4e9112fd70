/**
 * The AWS calls a one-shot echo job costs on its path, API → SUCCEEDED, counted at the emulator by
 * the bench's counting proxy (bench/aws-calls-per-job.ts): a change that adds a read or a write per
 * job fails here, not only in `npm run bench`. Timers and polls (receives, the reaper's listing,
 * visibility heartbeats) grow with time, not jobs, and are left out.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { countAwsCallsPerJob, isTimed } from '../../bench/aws-calls-per-job.ts';
import { skipUnlessAws } from '../support/aws-test-env.ts';
import { motoEndpoint } from '../support/moto.ts';

const JOBS = 5;

describe('AWS calls per one-shot echo job', { skip: Boolean(skipUnlessAws()) }, () => {
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
});
