import type { JsonValue } from '@agent-runner/shared/domain/job.ts';
import type { BlobStore } from '@agent-runner/shared/ports/job-store.ts';

/**
 * A result up to `inlineLimitBytes` lives on the job record, written by the same conditional write
 * that records SUCCEEDED: that record is as durable as the blob store, and GET /jobs/{id} needs one
 * read. A larger one is written to the blob store (S3 on AWS) first and only referenced from the
 * record, because a DynamoDB item cannot exceed 400 KB (and a fat record slows every conditional
 * write). Writing small results to the blob store as well cost one PutObject per job for a copy
 * nobody read.
 */
export async function storeResult(
  blobs: BlobStore,
  jobId: string,
  result: JsonValue,
  inlineLimitBytes: number,
): Promise<{ result: JsonValue | null; resultRef: string | null }> {
  const body = JSON.stringify(result);
  if (Buffer.byteLength(body) <= inlineLimitBytes) return { result, resultRef: null };
  const resultRef = `results/${jobId}.json`;
  await blobs.put(resultRef, body, 'application/json');
  return { result: null, resultRef };
}
