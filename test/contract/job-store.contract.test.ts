import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { ConflictError, NotFoundError, ValidationError } from '@agent-runner/shared/domain/errors.ts';
import { createUlidSource, ulid } from '@agent-runner/shared/domain/ids.ts';
import { createJobRecord, type Job } from '@agent-runner/shared/domain/job.ts';
import type { JobStore } from '@agent-runner/shared/ports/job-store.ts';
import { backendsUnderTest, openBackend, type OpenedBackend } from '../support/backends.ts';

/** Distinct creation times, one second apart, so ids (ULIDs) sort in creation order. */
let clockMs = Date.parse('2026-01-01T00:00:00.000Z');
const nextTime = () => {
  clockMs += 1000;
  return new Date(clockMs);
};

function newJob(jobType: string, overrides: Partial<Job> = {}, at?: Date): Job {
  const now = at ?? nextTime();
  const job = createJobRecord(
    ulid(now),
    { jobType, payload: { n: 1 }, priority: 'normal', tenant: 'acme', orderingKey: null, maxAttempts: 3, timeoutSeconds: 60 },
    now,
    { payload: { n: 1 }, payloadRef: null },
  );
  return { ...job, ...overrides };
}

const uniqueType = (what: string) => `${what}-${randomUUID().slice(0, 8)}`;

/**
 * Follows a listing's cursors to the end (at most 10 pages), checking each page holds at most
 * `limit` jobs and that a page promising another is not empty; returns every job in order.
 */
async function readAllPages(
  limit: number,
  list: (page: { limit: number; cursor?: string }) => Promise<{ jobs: Job[]; nextCursor: string | null }>,
): Promise<Job[]> {
  const seen: Job[] = [];
  let cursor: string | null = null;
  for (let page = 0; ; page++) {
    assert.ok(page < 10, 'pagination ends');
    const result = await list({ limit, ...(cursor !== null ? { cursor } : {}) });
    assert.ok(result.jobs.length <= limit, 'a page holds at most `limit` jobs');
    if (result.nextCursor !== null) assert.ok(result.jobs.length > 0, 'a page with a next cursor is not empty');
    seen.push(...result.jobs);
    cursor = result.nextCursor;
    if (cursor === null) return seen;
  }
}

async function rejectsWith(promise: Promise<unknown>, kind: new (...args: never[]) => Error): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof kind, `expected ${kind.name}, got ${String(error)}`);
    return true;
  });
}

for (const target of backendsUnderTest()) {
  describe(`JobStore contract (${target.name})`, () => {
    let opened: OpenedBackend;
    let store: JobStore;
    beforeAll(async () => {
      opened = await openBackend(target);
      store = opened.backend.jobs;
    });
    afterAll(() => opened?.close());

    test('a job keeps the webhook targets it was created with', async () => {
      const webhooks = [
        { url: 'https://hooks.example.com/a', events: ['job.succeeded', 'job.failed'] as const, endpointId: null },
        { url: 'https://hooks.example.com/b', events: ['job.cancelled'] as const, endpointId: 'ep_1' },
      ].map((t) => ({ ...t, events: [...t.events] }));
      const job = newJob(uniqueType('webhooks'), { webhooks });
      await store.create(job);
      assert.deepEqual((await store.get(job.jobId))?.webhooks, webhooks);
      const plain = newJob(uniqueType('no-webhooks'));
      await store.create(plain);
      assert.deepEqual((await store.get(plain.jobId))?.webhooks, []);
    });

    test('a created job reads back exactly, nested attempts, nulls and all', async () => {
      const job = newJob(uniqueType('roundtrip'), {
        status: 'RUNNING',
        version: 4,
        orderingKey: 'group-1',
        payload: {
          text: 'héllo ✓ 🚀',
          list: [1, 2.5, -3, 0, true, false, null, 'x'],
          nested: { empty: {}, none: [], deep: { a: [{ b: null }] } },
        },
        attempt: 2,
        attempts: [
          {
            number: 1,
            dispatchedAt: '2026-01-01T00:00:01.000Z',
            workerRef: 'pid:123',
            launchedAt: '2026-01-01T00:00:02.000Z',
            startedAt: '2026-01-01T00:00:03.000Z',
            endedAt: '2026-01-01T00:00:04.000Z',
            outcome: 'FAILED',
            error: { kind: 'retryable', message: 'rate limited "429"', handler: 'echo' },
          },
          {
            number: 2,
            dispatchedAt: '2026-01-01T00:00:05.000Z',
            workerRef: null,
            launchedAt: null,
            startedAt: null,
            endedAt: null,
            outcome: null,
            error: null,
          },
        ],
        heartbeatAt: '2026-01-01T00:00:06.000Z',
        startedAt: '2026-01-01T00:00:03.000Z',
        error: { kind: 'retryable', message: 'rate limited "429"', handler: 'echo' },
      });
      await store.create(job);
      assert.deepEqual(await store.get(job.jobId), job);
    });

    test('creating an existing id is a ConflictError and leaves the first record as it was', async () => {
      const job = newJob(uniqueType('duplicate'));
      await store.create(job);
      await rejectsWith(store.create({ ...job, tenant: 'someone-else' }), ConflictError);
      assert.deepEqual(await store.get(job.jobId), job);
    });

    test('get of an unknown id is null', async () => {
      assert.equal(await store.get(ulid(new Date())), null);
    });

    test('getMany reads records in the order given, skips unknown ids, and reads none for no ids', async () => {
      const type = uniqueType('get-many');
      const jobs = [newJob(type), newJob(type), newJob(type)];
      for (const job of jobs) await store.create(job);
      const [a, b, c] = jobs as [Job, Job, Job];
      const updated = await store.update(
        b.jobId,
        { status: ['QUEUED'], version: b.version },
        { status: 'DISPATCHED', attempt: 1 },
        nextTime(),
      );
      const unknown = ulid(new Date());
      assert.deepEqual(await store.getMany([c.jobId, unknown, a.jobId, b.jobId]), [c, a, updated], 'as stored now, in the order asked');
      assert.deepEqual(await store.getMany([unknown]), []);
      assert.deepEqual(await store.getMany([]), []);
    });

    test('getMany reads more records than one batch holds (DynamoDB: 100 per BatchGetItem)', async () => {
      const type = uniqueType('get-many-large');
      const jobs = Array.from({ length: 130 }, () => newJob(type));
      await Promise.all(jobs.map((job) => store.create(job)));
      const ids = jobs.map((job) => job.jobId).reverse();
      const read = await store.getMany(ids);
      assert.deepEqual(
        read.map((job) => job.jobId),
        ids,
      );
      assert.deepEqual(read, [...jobs].reverse());
    });

    test('a matching conditional update applies the changes, bumps the version and sets updatedAt', async () => {
      const job = newJob(uniqueType('update'));
      await store.create(job);
      const now = new Date('2026-02-02T02:02:02.000Z');
      const written = await store.update(
        job.jobId,
        { status: ['QUEUED'], version: 1, attempt: 0 },
        { status: 'CANCELLED', finishedAt: now.toISOString(), error: { kind: 'cancelled', message: 'by request', handler: null } },
        now,
      );
      const expected: Job = {
        ...job,
        status: 'CANCELLED',
        version: 2,
        updatedAt: now.toISOString(),
        finishedAt: now.toISOString(),
        error: { kind: 'cancelled', message: 'by request', handler: null },
      };
      assert.deepEqual(written, expected);
      assert.deepEqual(await store.get(job.jobId), expected);
    });

    test('an update can set a field back to null and replace the attempts list', async () => {
      const job = newJob(uniqueType('nulls'), { heartbeatAt: '2026-01-01T00:00:00.000Z', result: { big: [1, 2, 3] } });
      await store.create(job);
      const now = nextTime();
      const attempts = [{ ...newAttemptOne(), workerRef: 'arn:aws:ecs:eu-west-1:123:task/c/abc' }];
      const written = await store.update(job.jobId, { status: ['QUEUED'] }, { heartbeatAt: null, result: null, attempt: 1, attempts }, now);
      assert.equal(written.heartbeatAt, null);
      assert.equal(written.result, null);
      assert.deepEqual(written.attempts, attempts);
      assert.deepEqual(await store.get(job.jobId), written);
    });

    for (const [what, expect] of [
      ['status', { status: ['RUNNING', 'DISPATCHED'] as const }],
      ['version', { status: ['QUEUED'] as const, version: 7 }],
      ['attempt', { status: ['QUEUED'] as const, attempt: 3 }],
    ] as const) {
      test(`an update expecting the wrong ${what} is a ConflictError and changes nothing`, async () => {
        const job = newJob(uniqueType(`conflict-${what}`));
        await store.create(job);
        await rejectsWith(
          store.update(job.jobId, { ...expect, status: [...expect.status] }, { status: 'DISPATCHED', attempt: 1 }, nextTime()),
          ConflictError,
        );
        assert.deepEqual(await store.get(job.jobId), job);
      });
    }

    test('an update of an absent job is a NotFoundError and creates nothing', async () => {
      const jobId = ulid(new Date());
      await rejectsWith(store.update(jobId, { status: ['QUEUED'] }, { status: 'DISPATCHED' }, new Date()), NotFoundError);
      assert.equal(await store.get(jobId), null);
    });

    test('of eight writers racing on one version exactly one wins; the others get ConflictError', async () => {
      const job = newJob(uniqueType('race'));
      await store.create(job);
      const now = nextTime();
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) =>
          store.update(job.jobId, { status: ['QUEUED'], version: 1 }, { status: 'DISPATCHED', attempt: 1, tenant: `writer-${i}` }, now),
        ),
      );
      const winners = results.filter((r) => r.status === 'fulfilled');
      assert.equal(winners.length, 1, 'exactly one writer wins');
      for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof ConflictError, String(r.reason));
      const stored = await store.get(job.jobId);
      assert.equal(stored?.version, 2);
      assert.deepEqual(stored, (winners[0] as PromiseFulfilledResult<Job>).value);
    });

    test('list pages newest first by type, across pages with no gaps or duplicates', async () => {
      const jobType = uniqueType('list');
      const created: Job[] = [];
      for (let i = 0; i < 7; i++) {
        const job = newJob(jobType);
        await store.create(job);
        created.push(job);
      }
      await store.create(newJob(uniqueType('other')));
      const seen = await readAllPages(3, (page) => store.list({ jobType, ...page }));
      assert.deepEqual(
        seen.map((j) => j.jobId),
        created.map((j) => j.jobId).reverse(),
      );
      assert.deepEqual(seen[0], created.at(-1));
    });

    test('list filters by status, and by status and type together', async () => {
      const jobType = uniqueType('status-filter');
      const jobs = [newJob(jobType), newJob(jobType), newJob(jobType), newJob(jobType)];
      for (const job of jobs) await store.create(job);
      for (const job of [jobs[0]!, jobs[2]!]) await store.update(job.jobId, { status: ['QUEUED'] }, { status: 'CANCELLED' }, nextTime());

      const cancelledOfType = await store.list({ status: 'CANCELLED', jobType, limit: 10 });
      assert.deepEqual(
        cancelledOfType.jobs.map((j) => j.jobId),
        [jobs[2]!.jobId, jobs[0]!.jobId],
      );
      assert.equal(cancelledOfType.nextCursor, null);

      const cancelled = await store.list({ status: 'CANCELLED', limit: 100 });
      assert.ok(cancelled.jobs.every((j) => j.status === 'CANCELLED'));
      assert.deepEqual(
        cancelled.jobs.filter((j) => j.jobType === jobType).map((j) => j.jobId),
        [jobs[2]!.jobId, jobs[0]!.jobId],
      );
      assertNewestFirst(cancelled.jobs);

      const everything = await store.list({ limit: 100 });
      assertNewestFirst(everything.jobs);
      assert.ok(everything.jobs.some((j) => j.jobId === jobs[3]!.jobId));
    });

    test('list filters by tenant, alone or with status and type, across pages; keyId round-trips', async () => {
      const tenant = `tenant-${randomUUID().slice(0, 8)}`;
      const jobType = uniqueType('tenant-filter');
      const mine = [0, 1, 2, 3, 4].map(() => newJob(jobType, { tenant, keyId: '0123456789abcdef' }));
      const theirs = newJob(jobType, { tenant: `${tenant}-other` });
      for (const job of [mine[0]!, theirs, ...mine.slice(1)]) await store.create(job);
      await store.update(mine[1]!.jobId, { status: ['QUEUED'] }, { status: 'CANCELLED' }, nextTime());

      const all = await readAllPages(2, (page) => store.list({ tenant, ...page }));
      assert.deepEqual(
        all.map((j) => j.jobId),
        mine.map((j) => j.jobId).reverse(),
      );
      assert.ok(all.every((j) => j.keyId === '0123456789abcdef'));
      assert.equal((await store.get(theirs.jobId))?.keyId, null);
      const queuedOfType = await store.list({ tenant, status: 'QUEUED', jobType, limit: 10 });
      assert.deepEqual(
        queuedOfType.jobs.map((j) => j.jobId),
        [mine[4]!, mine[3]!, mine[2]!, mine[0]!].map((j) => j.jobId),
      );
      assert.deepEqual(
        (await store.list({ tenant, status: 'CANCELLED', limit: 10 })).jobs.map((j) => j.jobId),
        [mine[1]!.jobId],
      );
      assert.deepEqual((await store.list({ tenant: `${tenant}-nobody`, limit: 10 })).jobs, []);
    });

    test('list rejects a cursor it did not issue with a ValidationError', async () => {
      await rejectsWith(store.list({ limit: 5, cursor: 'not-a-cursor' }), ValidationError);
    });

    test('usage and rate limits start null and round-trip exactly once written, fractional costs and all', async () => {
      const job = newJob(uniqueType('usage'));
      await store.create(job);
      assert.equal((await store.get(job.jobId))?.usage, null);
      assert.equal((await store.get(job.jobId))?.rateLimits, null);
      const sonnet = {
        calls: 2,
        input_tokens: 1200,
        output_tokens: 345,
        cache_write_tokens: 4000,
        cache_read_tokens: 0,
        cost_usd: 0.018_149_123,
      };
      const haiku = {
        calls: 1,
        input_tokens: 7,
        output_tokens: 3,
        cache_write_tokens: 0,
        cache_read_tokens: 90_000,
        cost_usd: 0.000_000_9,
      };
      const usage = {
        calls: 3,
        input_tokens: 1207,
        output_tokens: 348,
        cache_write_tokens: 4000,
        cache_read_tokens: 90_000,
        cost_usd: 0.018_150_023,
        by_model: { 'claude-haiku-4-5-20251001': haiku, 'claude-sonnet-5-5': sonnet },
      };
      const rateLimits = { 'requests-remaining': '3998', 'requests-reset': '2026-01-01T00:01:00Z', 'retry-after': '' };
      const written = await store.update(job.jobId, { status: ['QUEUED'], version: 1 }, { usage, rateLimits }, nextTime());
      assert.deepEqual(written.usage, usage);
      assert.deepEqual(written.rateLimits, rateLimits);
      assert.deepEqual(await store.get(job.jobId), written);
    });

    test('listCreatedBetween pages the jobs created in [from, to), oldest first, with no gaps or duplicates', async () => {
      // A window no other case creates jobs in (they use 2026), so the answer is exactly these jobs.
      const from = new Date(Date.parse('2031-01-01T00:00:00.000Z') + Math.floor(Math.random() * 1e9));
      const to = new Date(from.getTime() + 60_000);
      // Its own id source: the shared one is monotonic, so after ids of a later window it would not go back.
      const ids = createUlidSource();
      const at = (ms: number) => newJob(uniqueType('window'), { jobId: ids(new Date(ms)) }, new Date(ms));
      const before = at(from.getTime() - 1);
      const inside = [
        at(from.getTime()),
        at(from.getTime() + 1000),
        at(from.getTime() + 2000),
        at(from.getTime() + 30_000),
        at(to.getTime() - 1),
      ];
      const after = at(to.getTime());
      for (const job of [after, ...inside, before]) await store.create(job);

      const seen = await readAllPages(2, (page) => store.listCreatedBetween({ from, to, ...page }));
      assert.deepEqual(
        seen.map((j) => j.jobId),
        inside.map((j) => j.jobId),
      );
      assert.deepEqual(seen[0], inside[0], 'whole records');
      assert.deepEqual(
        (await store.listCreatedBetween({ from: to, to: new Date(to.getTime() + 1), limit: 10 })).jobs.map((j) => j.jobId),
        [after.jobId],
      );
      assert.deepEqual(
        (await store.listCreatedBetween({ from: new Date(to.getTime() + 1), to: new Date(to.getTime() + 60_000), limit: 10 })).jobs,
        [],
      );
    });

    test('listCreatedBetween rejects a cursor it did not issue with a ValidationError', async () => {
      await rejectsWith(store.listCreatedBetween({ from: new Date(0), to: new Date(), limit: 5, cursor: 'not-a-cursor' }), ValidationError);
    });

    test('listByStatus returns jobs of that status, oldest first', async () => {
      const jobType = uniqueType('by-status');
      const jobs = [newJob(jobType), newJob(jobType), newJob(jobType)];
      for (const job of jobs) await store.create(job);
      await store.update(jobs[1]!.jobId, { status: ['QUEUED'] }, { status: 'DISPATCHED', attempt: 1 }, nextTime());

      const queued = await store.listByStatus('QUEUED', 1000);
      assert.ok(queued.every((j) => j.status === 'QUEUED'));
      assert.deepEqual(
        queued.filter((j) => j.jobType === jobType).map((j) => j.jobId),
        [jobs[0]!.jobId, jobs[2]!.jobId],
      );
      const ids = queued.map((j) => j.jobId);
      assert.deepEqual(ids, [...ids].sort(), 'oldest first');

      const dispatched = await store.listByStatus('DISPATCHED', 1000);
      assert.ok(dispatched.some((j) => j.jobId === jobs[1]!.jobId));
      assert.equal((await store.listByStatus('QUEUED', 1)).length, 1, 'limit is honoured');
    });

    test('delete removes the job only when it matches the expectation', async () => {
      const job = newJob(uniqueType('delete'));
      await store.create(job);
      await rejectsWith(store.delete(job.jobId, { status: ['DISPATCHED'] }), ConflictError);
      await rejectsWith(store.delete(job.jobId, { status: ['QUEUED'], version: 2 }), ConflictError);
      assert.deepEqual(await store.get(job.jobId), job);
      await store.delete(job.jobId, { status: ['QUEUED'], version: 1 });
      assert.equal(await store.get(job.jobId), null);
      await rejectsWith(store.delete(job.jobId, { status: ['QUEUED'] }), NotFoundError);
    });
  });
}

function newAttemptOne(): Job['attempts'][number] {
  return {
    number: 1,
    dispatchedAt: '2026-03-03T00:00:00.000Z',
    workerRef: null,
    launchedAt: null,
    startedAt: null,
    endedAt: null,
    outcome: null,
    error: null,
  };
}

function assertNewestFirst(jobs: readonly Job[]): void {
  const ids = jobs.map((j) => j.jobId);
  assert.deepEqual(ids, [...ids].sort().reverse(), 'newest first');
}
