import type { Job, JsonValue } from '../domain/job.ts';
import { getJson, type BlobStore } from '../ports/job-store.ts';

/** The job's payload, from the record or, when it was too large for it, from the blob store. */
export async function loadPayload(blobs: BlobStore, job: Pick<Job, 'jobId' | 'payload' | 'payloadRef'>): Promise<JsonValue> {
  if (job.payloadRef === null) return job.payload;
  const payload = await getJson(blobs, job.payloadRef);
  // The record is written after its payload blob and the blob is deleted only with the record.
  if (payload === null) throw new Error(`payload blob ${job.payloadRef} of job ${job.jobId} is missing`);
  return payload;
}
