import type { JsonValue } from '@agent-runner/shared/domain/job.ts';
import type { BlobStore } from '@agent-runner/shared/ports/job-store.ts';

/**
 * Results small enough stay on the job record; larger ones go to the blob store, because a
 * DynamoDB item cannot exceed 400 KB (and a fat record makes every conditional write slow).
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
