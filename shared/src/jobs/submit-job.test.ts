import assert from 'node:assert/strict';
import { test } from 'vitest';
import { ConflictError, NotFoundError, UnavailableError } from '../domain/errors.ts';
import type { Job, JobMessage, NewJob } from '../domain/job.ts';
import type { JobQueue, QueueDepth } from '../ports/job-queue.ts';
import type { JobExpectation } from '../domain/job.ts';
import type { BlobStore, JobStore } from '../ports/job-store.ts';
import { loadPayload } from './load-payload.ts';
import { submitJob, type SubmitJobDeps } from './submit-job.ts';

/** Only what submitJob touches; every other method fails loudly if a change starts using it. */
class MemoryJobStore implements JobStore {
  readonly jobs = new Map<string, Job>();
  failDelete = false;
  failCreate = false;
  async create(job: Job) {
    if (this.failCreate) throw new Error('store down');
    if (this.jobs.has(job.jobId)) throw new ConflictError('exists');
    this.jobs.set(job.jobId, structuredClone(job));
  }
  async get(jobId: string) {
    return this.jobs.get(jobId) ?? null;
  }
  async getMany(jobIds: readonly string[]) {
    return jobIds.flatMap((id) => this.jobs.get(id) ?? []);
  }
  async delete(jobId: string, expect: JobExpectation) {
    if (this.failDelete) throw new Error('store down too');
    const job = this.jobs.get(jobId);
    if (!job) throw new NotFoundError(jobId);
    if (!expect.status.includes(job.status) || (expect.version !== undefined && expect.version !== job.version))
      throw new ConflictError(jobId);
    this.jobs.delete(jobId);
  }
  list(): never {
    throw new Error('not used');
  }
  update(): never {
    throw new Error('not used');
  }
  listByStatus(): never {
    throw new Error('not used');
  }
  listCreatedBetween(): never {
    throw new Error('not used');
  }
  findIdempotencyRecord(): never {
    throw new Error('not used');
  }
  releaseIdempotencyRecord(): never {
    throw new Error('not used');
  }
}

class MemoryBlobs implements BlobStore {
  readonly blobs = new Map<string, Uint8Array>();
  async put(key: string, body: Uint8Array | string) {
    this.blobs.set(key, typeof body === 'string' ? new TextEncoder().encode(body) : body);
  }
  async get(key: string) {
    return this.blobs.get(key) ?? null;
  }
  async delete(key: string) {
    this.blobs.delete(key);
  }
}

class RecordingQueue implements JobQueue {
  readonly sent: JobMessage[] = [];
  fail = false;
  async enqueue(message: JobMessage) {
    if (this.fail) throw new UnavailableError('queue down');
    this.sent.push(message);
  }
  depth(): Promise<QueueDepth> {
    throw new Error('not used');
  }
}

const at = new Date('2026-01-02T03:04:05.000Z');
const input: NewJob = {
  jobType: 'echo',
  payload: { message: 'hi' },
  priority: 'high',
  tenant: 'acme',
  orderingKey: 'order-1',
  maxAttempts: 3,
  timeoutSeconds: 60,
};

function setUp(inlineLimitBytes = 1024) {
  const jobs = new MemoryJobStore();
  const blobs = new MemoryBlobs();
  const queue = new RecordingQueue();
  let n = 0;
  const deps: SubmitJobDeps = { jobs, blobs, queue, clock: { now: () => at }, newId: () => `JOB${++n}`, inlineLimitBytes };
  return { deps, jobs, blobs, queue };
}

test('a small payload stays on the record, the job is QUEUED at version 1 and its message enqueued', async () => {
  const { deps, jobs, blobs, queue } = setUp();
  const job = await submitJob(deps, input);
  assert.equal(job.jobId, 'JOB1');
  assert.deepEqual(await jobs.get('JOB1'), job);
  assert.equal(job.status, 'QUEUED');
  assert.equal(job.version, 1);
  assert.equal(job.createdAt, at.toISOString());
  assert.deepEqual(job.payload, { message: 'hi' });
  assert.equal(job.payloadRef, null);
  assert.equal(blobs.blobs.size, 0);
  assert.deepEqual(queue.sent, [{ jobId: 'JOB1', priority: 'high', orderingKey: 'order-1' }]);
});

test('a payload whose JSON exceeds the inline limit goes to the blob store and is referenced', async () => {
  const { deps, blobs } = setUp(10);
  const job = await submitJob(deps, input); // {"message":"hi"} is 16 bytes
  assert.equal(job.payload, null);
  assert.equal(job.payloadRef, 'payloads/JOB1.json');
  assert.ok(blobs.blobs.has('payloads/JOB1.json'));
  assert.deepEqual(await loadPayload(blobs, job), { message: 'hi' });
});

test('the inline limit is inclusive and counts bytes, not characters', async () => {
  const { deps } = setUp(Buffer.byteLength(JSON.stringify({ message: 'hi' })));
  assert.equal((await submitJob(deps, input)).payloadRef, null);
  const multiByte = setUp(16); // {"message":"hé"} is 16 characters but 17 bytes
  assert.equal((await submitJob(multiByte.deps, { ...input, payload: { message: 'hé' } })).payloadRef, 'payloads/JOB1.json');
});

test('a failed enqueue undoes the record and its payload blob and reports UnavailableError', async () => {
  const { deps, jobs, blobs, queue } = setUp(10);
  queue.fail = true;
  await assert.rejects(submitJob(deps, input), UnavailableError);
  assert.equal(jobs.jobs.size, 0);
  assert.equal(blobs.blobs.size, 0);
});

test('when the undo fails too the record stays QUEUED (with its payload) for the sweeper, and the caller still gets UnavailableError', async () => {
  const { deps, jobs, blobs, queue } = setUp(10);
  queue.fail = true;
  jobs.failDelete = true;
  const error = await submitJob(deps, input).then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof UnavailableError);
  assert.ok(error.cause instanceof AggregateError);
  assert.equal((await jobs.get('JOB1'))?.status, 'QUEUED');
  assert.ok(blobs.blobs.has('payloads/JOB1.json'), 'the record that stays still needs its payload');
});

test('a record that cannot be created leaves no payload blob and enqueues nothing', async () => {
  const { deps, jobs, blobs, queue } = setUp(10);
  jobs.failCreate = true;
  await assert.rejects(submitJob(deps, input), /store down/);
  assert.equal(blobs.blobs.size, 0);
  assert.equal(queue.sent.length, 0);
});
