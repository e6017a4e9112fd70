import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { ConflictError } from '@agent-runner/shared/domain/errors.ts';
import { ulid } from '@agent-runner/shared/domain/ids.ts';
import { createJobRecord, type Job } from '@agent-runner/shared/domain/job.ts';
import type { IdempotencyRecord, JobStore } from '@agent-runner/shared/ports/job-store.ts';
import { backendsUnderTest, openBackend, type OpenedBackend } from '../support/backends.ts';

const HOUR_MS = 3_600_000;

function newJob(at: Date): Job {
  return createJobRecord(
    ulid(at),
    { jobType: 'echo', payload: { n: 1 }, priority: 'normal', tenant: 'acme', orderingKey: null, maxAttempts: 3, timeoutSeconds: 60 },
    at,
    { payload: { n: 1 }, payloadRef: null },
  );
}

function recordFor(job: Job, tenant: string, key: string, requestHash = 'a'.repeat(64)): IdempotencyRecord {
  return {
    tenant,
    key,
    requestHash,
    jobId: job.jobId,
    createdAt: job.createdAt,
    expiresAt: new Date(Date.parse(job.createdAt) + 24 * HOUR_MS).toISOString(),
  };
}

const uniqueKey = () => `key-${randomUUID()}`;

for (const target of backendsUnderTest()) {
  describe(`JobStore idempotency records (${target.name})`, () => {
    let opened: OpenedBackend;
    let store: JobStore;
    beforeAll(async () => {
      opened = await openBackend(target);
      store = opened.backend.jobs;
    });
    afterAll(() => opened?.close());

    test('a job created with a key stores the record with it; the record reads back until it expires', async () => {
      const at = new Date();
      const job = newJob(at);
      const key = uniqueKey();
      const record = recordFor(job, 'acme', key, 'f'.repeat(64));
      await store.create(job, record);
      assert.equal((await store.get(job.jobId))?.jobId, job.jobId);
      assert.deepEqual(await store.findIdempotencyRecord('acme', key, at), record);
      assert.deepEqual(await store.findIdempotencyRecord('acme', key, new Date(at.getTime() + 24 * HOUR_MS - 1000)), record);
      assert.equal(await store.findIdempotencyRecord('acme', key, new Date(at.getTime() + 24 * HOUR_MS)), null, 'expired at expiresAt');
      assert.equal(await store.findIdempotencyRecord('other-tenant', key, at), null, 'keys are per tenant');
    });

    test('a live key refuses a second job (nothing written); another tenant may use the same key', async () => {
      const key = uniqueKey();
      const first = newJob(new Date());
      await store.create(first, recordFor(first, 'acme', key));
      const second = newJob(new Date());
      await assert.rejects(store.create(second, recordFor(second, 'acme', key)), ConflictError);
      assert.equal(await store.get(second.jobId), null, 'the refused job was not stored');
      assert.equal((await store.findIdempotencyRecord('acme', key, new Date()))?.jobId, first.jobId);

      const elsewhere = newJob(new Date());
      await store.create(elsewhere, recordFor(elsewhere, 'globex', key));
      assert.equal((await store.findIdempotencyRecord('globex', key, new Date()))?.jobId, elsewhere.jobId);
    });

    test('an expired key is taken over by the next job (the store checks the age: TTL may not have run)', async () => {
      const key = uniqueKey();
      const old = newJob(new Date(Date.now() - 25 * HOUR_MS));
      await store.create(old, recordFor(old, 'acme', key));
      const fresh = newJob(new Date());
      await store.create(fresh, recordFor(fresh, 'acme', key, 'b'.repeat(64)));
      const found = await store.findIdempotencyRecord('acme', key, new Date());
      assert.equal(found?.jobId, fresh.jobId);
      assert.equal(found?.requestHash, 'b'.repeat(64));
    });

    test('twenty racing creates with one key: exactly one job and one record', async () => {
      const key = uniqueKey();
      const jobs = Array.from({ length: 20 }, () => newJob(new Date()));
      const results = await Promise.allSettled(jobs.map((job) => store.create(job, recordFor(job, 'acme', key))));
      const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [jobs[i]!] : []));
      assert.equal(won.length, 1, 'one create wins');
      for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof ConflictError, String(r.reason));
      const stored = await Promise.all(jobs.map((job) => store.get(job.jobId)));
      assert.equal(stored.filter(Boolean).length, 1, 'only the winner is stored');
      assert.equal((await store.findIdempotencyRecord('acme', key, new Date()))?.jobId, won[0]!.jobId);
    });

    test('release frees a key only while its record names the given job', async () => {
      const key = uniqueKey();
      const job = newJob(new Date());
      await store.create(job, recordFor(job, 'acme', key));
      await store.releaseIdempotencyRecord('acme', key, ulid(new Date()));
      assert.equal((await store.findIdempotencyRecord('acme', key, new Date()))?.jobId, job.jobId, 'another job id frees nothing');
      await store.releaseIdempotencyRecord('acme', key, job.jobId);
      assert.equal(await store.findIdempotencyRecord('acme', key, new Date()), null);
      await store.releaseIdempotencyRecord('acme', key, job.jobId);
    });

    test('idempotency records never show up in job listings', async () => {
      const job = newJob(new Date());
      await store.create(job, recordFor(job, 'acme', uniqueKey()));
      const page = await store.list({ limit: 1000 });
      assert.ok(
        page.jobs.every((j) => /^[0-9A-HJKMNP-TV-Z]{26}$/.test(j.jobId)),
        'only jobs are listed',
      );
      const queued = await store.listByStatus('QUEUED', 1000);
      assert.ok(queued.every((j) => /^[0-9A-HJKMNP-TV-Z]{26}$/.test(j.jobId)));
    });
  });
}
