import type { Job, JsonValue } from '../domain/job.ts';
import { getJson, type BlobStore } from '../ports/job-store.ts';

/** The job's result: the copy on the record when there is one, else the blob store's. */
export async function loadResult(blobs: BlobStore, job: Pick<Job, 'jobId' | 'result' | 'resultRef'>): Promise<JsonValue> {
  if (job.result !== null || job.resultRef === null) return job.result;
  const result = await getJson(blobs, job.resultRef);
  // The worker stores the blob before it records the outcome that references it.
  if (result === null) throw new Error(`result blob ${job.resultRef} of job ${job.jobId} is missing`);
  return result;
}
