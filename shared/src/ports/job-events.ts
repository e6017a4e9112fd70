import type { JsonValue } from '../domain/job.ts';

/** One entry of a job's live output: a text delta, a tool call, a step boundary, progress. */
export interface JobEvent {
  jobId: string;
  /** 1, 2, 3 … per job, across attempts: the SSE event id a reconnecting client resumes after. */
  seq: number;
  at: string;
  /** Which attempt wrote it. */
  attempt: number;
  type: string;
  data: JsonValue;
}

export type NewJobEvent = Omit<JobEvent, 'jobId' | 'seq'>;

/**
 * The ordered per-job event log (DynamoDB on AWS, SQLite on the embedded default). One writer per
 * job at a time — the worker of its current attempt — so sequence numbers are assigned by the
 * writer; a put conditioned on the sequence number being new turns a second writer into an error
 * instead of a silent overwrite.
 */
export interface JobEventLog {
  /** Appends events with seq = lastSeq + 1 … in one batch (few writes for a fast stream). */
  append(jobId: string, firstSeq: number, events: readonly NewJobEvent[]): Promise<void>;
  /** Events with seq > afterSeq, in order, at most `limit`. */
  read(jobId: string, afterSeq: number, limit: number): Promise<JobEvent[]>;
  /** The highest seq written for the job, 0 when none. */
  lastSeq(jobId: string): Promise<number>;
}
