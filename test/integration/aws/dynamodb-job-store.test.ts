/**
 * What the shared JobStore contract (test/contract/job-store.contract.test.ts) does not cover and
 * is particular to DynamoDB: values DynamoDB cannot hold as attributes, how a refused conditional
 * write is told apart, racing writers on the emulator, sparse filtered listing, and errors of an unreachable table.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { createAwsClients, type AwsClients } from '@agent-runner/shared/adapters/aws/aws-clients.ts';
import { DynamoDbJobStore } from '@agent-runner/shared/adapters/aws/dynamodb-job-store.ts';
import { loadConfig } from '@agent-runner/shared/config/config.ts';
import { ConflictError, NotFoundError, UnavailableError } from '@agent-runner/shared/domain/errors.ts';
import { ulid } from '@agent-runner/shared/domain/ids.ts';
import { createJobRecord, type Job, type JsonValue } from '@agent-runner/shared/domain/job.ts';
import { provisionTestAws, skipUnlessAws } from '../../support/aws-test-env.ts';

let clockMs = Date.parse('2026-02-01T00:00:00.000Z');
const nextTime = () => {
  clockMs += 1000;
  return new Date(clockMs);
};
const uniqueType = (what: string) => `${what}-${randomUUID().slice(0, 8)}`;

function newJob(jobType: string, payload: JsonValue = { n: 1 }): Job {
  const now = nextTime();
  return createJobRecord(
    ulid(now),
    { jobType, payload, priority: 'normal', tenant: 'acme', orderingKey: null, maxAttempts: 3, timeoutSeconds: 60 },
    now,
    { payload, payloadRef: null },
  );
}

describe('DynamoDbJobStore on moto', { skip: Boolean(skipUnlessAws()) }, () => {
  let clients: AwsClients;
  let store: DynamoDbJobStore;

  beforeAll(async () => {
    const aws = loadConfig(await provisionTestAws({ prefix: 'ddb' })).aws!;
    clients = createAwsClients(aws.region, aws.endpoint);
    store = new DynamoDbJobStore(clients.doc, aws.table);
  });
  afterAll(() => clients?.destroy());

  test('payloads and results DynamoDB cannot hold as attributes round-trip exactly', async () => {
    // DynamoDB nests documents at most 32 levels and numbers only within ±9.99E+125, 38 digits.
    let deep: JsonValue = 'bottom';
    for (let i = 0; i < 40; i++) deep = { [`level${i}`]: deep };
    const payload: JsonValue = { deep, huge: 1e300, tiny: 5e-324, empty: '', emptyList: [], emptyObject: {}, nulls: [null, null] };
    const job = newJob(uniqueType('json'), payload);
    await store.create(job);
    assert.deepEqual((await store.get(job.jobId))?.payload, payload);
    const result: JsonValue = [{ '': 'empty key' }, 1.5e200, deep];
    const done = await store.update(job.jobId, { status: ['QUEUED'] }, { result }, nextTime());
    assert.deepEqual(done.result, result);
    assert.deepEqual((await store.get(job.jobId))?.result, result);
  });

  test("a refused update says what it found, keeping DynamoDB's ConditionalCheckFailedException as cause", async () => {
    const job = newJob(uniqueType('refused'));
    await store.create(job);
    await assert.rejects(
      store.update(job.jobId, { status: ['RUNNING'], version: 1, attempt: 0 }, { status: 'SUCCEEDED' }, nextTime()),
      (error: unknown) => {
        assert.ok(error instanceof ConflictError, String(error));
        assert.ok(error.cause instanceof ConditionalCheckFailedException);
        assert.match(error.message, /is QUEUED v1 attempt 0; expected RUNNING v1 attempt 0/);
        return true;
      },
    );
  });

  test('racing updates from the same version: exactly one wins each round', async () => {
    // Plain moto let two win in about one round in ten; the tests' moto-server.py makes each
    // DynamoDB request atomic, as DynamoDB is (see emulator-fidelity.test.ts).
    let doubleWins = 0;
    for (let round = 0; round < 25; round++) {
      const job = newJob(uniqueType('race'));
      await store.create(job);
      const racers = Array.from({ length: 4 }, (_, i) =>
        store.update(job.jobId, { status: ['QUEUED'], version: 1 }, { status: 'DISPATCHED', attempt: i + 1 }, nextTime()).then(
          () => 1,
          (error: unknown) => {
            assert.ok(error instanceof ConflictError, String(error));
            return 0;
          },
        ),
      );
      const wins = (await Promise.all(racers)).reduce((a, b) => a + b, 0);
      assert.ok(wins >= 1, 'someone wins');
      if (wins > 1) doubleWins++;
      assert.equal((await store.get(job.jobId))?.version, 2);
    }
    assert.equal(doubleWins, 0, 'rounds in which two racers both won');
  });

  test('a job deleted before a conditional write is NotFound for both update and delete', async () => {
    const job = newJob(uniqueType('gone'));
    await store.create(job);
    await store.delete(job.jobId, { status: ['QUEUED'], version: 1 });
    for (const write of [
      () => store.update(job.jobId, { status: ['QUEUED'], version: 1 }, { status: 'DISPATCHED' }, nextTime()),
      () => store.delete(job.jobId, { status: ['QUEUED'] }),
    ]) {
      await assert.rejects(write(), (error: unknown) => {
        assert.ok(error instanceof NotFoundError, String(error));
        assert.ok(error.cause instanceof ConditionalCheckFailedException);
        return true;
      });
    }
    assert.equal(await store.get(job.jobId), null, 'the refused update created nothing');
  });

  test('a status-and-type listing finds sparse matches among many others, one page at a time', async () => {
    const jobType = uniqueType('sparse');
    const ours = [newJob(jobType), newJob(jobType), newJob(jobType)];
    await store.create(ours[0]!);
    for (let i = 0; i < 150; i++) await store.create(newJob(uniqueType('noise')));
    await store.create(ours[1]!);
    for (let i = 0; i < 20; i++) await store.create(newJob(uniqueType('noise')));
    await store.create(ours[2]!);

    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const page = await store.list({ status: 'QUEUED', jobType, limit: 2, ...(cursor ? { cursor } : {}) });
      pages.push(page.jobs.map((j) => j.jobId));
      cursor = page.nextCursor;
    } while (cursor && pages.length < 5);
    assert.deepEqual(pages, [[ours[2]!.jobId, ours[1]!.jobId], [ours[0]!.jobId]]);
  });

  test('a page that ends exactly at the last job says there is no next page', async () => {
    const jobType = uniqueType('exact');
    const jobs = [newJob(jobType), newJob(jobType)];
    for (const job of jobs) await store.create(job);
    const page = await store.list({ jobType, limit: 2 });
    assert.deepEqual(
      page.jobs.map((j) => j.jobId),
      [jobs[1]!.jobId, jobs[0]!.jobId],
    );
    assert.equal(page.nextCursor, null);
  });

  test('a table that cannot be reached is UnavailableError with the SDK error as cause', async () => {
    const missing = new DynamoDbJobStore(clients.doc, `agent-runner-missing-${randomUUID()}`);
    for (const call of [() => missing.get(ulid(new Date())), () => missing.create(newJob('x')), () => missing.list({ limit: 5 })]) {
      await assert.rejects(call(), (error: unknown) => {
        assert.ok(error instanceof UnavailableError, String(error));
        assert.equal((error.cause as Error).name, 'ResourceNotFoundException');
        return true;
      });
    }
  });
});
