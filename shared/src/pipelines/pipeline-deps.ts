import type { Config } from '../config/config.ts';
import type { Clock, IdSource } from '../domain/ids.ts';
import type { JobQueue } from '../ports/job-queue.ts';
import type { BlobStore, JobStore } from '../ports/job-store.ts';
import type { PipelineStore } from '../ports/pipeline-store.ts';

/** What recording, advancing and cancelling a pipeline need: the API, the dispatcher and a worker all have these. */
export interface PipelineDeps {
  jobs: JobStore;
  pipelines: PipelineStore;
  queue: JobQueue;
  blobs: BlobStore;
  clock: Clock;
  /** A released step's resolved payload is checked against its job type's schema again. */
  config: Config;
}

export interface RecordPipelineDeps extends PipelineDeps {
  newId: IdSource;
}
