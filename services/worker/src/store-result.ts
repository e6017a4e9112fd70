import type { JsonValue } from '@agent-runner/shared/domain/job.ts';
import type { BlobStore } from '@agent-runner/shared/ports/job-store.ts';

/**
 * Every result is written to the blob store (S3 on AWS), its durable home, before the job is
 * marked SUCCEEDED. A small one is also kept on the record so GET /jobs/{id} needs no second read;
 * a large one is not, because a DynamoDB item cannot exceed 400 KB (and a fat record makes every
 * conditional write slower).
 */
export async function storeResult(
  blobs: BlobStore,
  jobId: string,
  result: JsonValue,
  inlineLimitBytes: number,
): Promise<{ result: JsonValue | null; resultRef: string }> {
  const body = JSON.stringify(result);
  const resultRef = `results/${jobId}.json`;
  await blobs.put(resultRef, body, 'application/json');
  return { result: Buffer.byteLength(body) <= inlineLimitBytes ? result : null, resultRef };
}
