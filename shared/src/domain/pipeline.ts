import type { JsonValue, Priority } from './job.ts';
import type { WebhookTarget } from './webhook-target.ts';

/**
 * A pipeline: named steps, each a job, that run in the order their `needs` give (a DAG). The
 * record is the pipeline's single atomic write: it holds every step's definition and the job id
 * chosen for it, so the step jobs can be created from it afterwards, idempotently, by whoever gets
 * there first (the API right after, or the dispatcher's sweep after a crash).
 */
export const PIPELINE_STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export type PipelineStatus = (typeof PIPELINE_STATUSES)[number];

/** At most this many steps: the record must stay one item, and each step is a job. */
export const MAX_PIPELINE_STEPS = 100;

export interface PipelineStep {
  name: string;
  /** Chosen when the pipeline is recorded, so creating the step's job is idempotent. */
  jobId: string;
  needs: string[];
  /** Run even when a step it needs did not succeed (instead of ending SKIPPED). */
  continueOnFailure: boolean;
  jobType: string;
  /** As submitted (with its `$from` references); null when it is in the blob store at `payloadRef`. */
  payload: JsonValue | null;
  payloadRef: string | null;
  priority: Priority;
  orderingKey: string | null;
  maxAttempts: number;
  timeoutSeconds: number;
}

export interface Pipeline {
  pipelineId: string;
  tenant: string;
  keyId: string | null;
  status: PipelineStatus;
  /** Bumped by every write; conditional writes compare it. */
  version: number;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  /** True once every step's job exists; until then the sweep finishes creating them. */
  materialised: boolean;
  /** A cancel was asked for: waiting steps end CANCELLED and the pipeline ends CANCELLED. */
  cancelRequested: boolean;
  steps: PipelineStep[];
  /** Where `pipeline.succeeded` / `pipeline.failed` are reported. */
  webhooks: WebhookTarget[];
  /**
   * Where each step's job reports its end: the tenant's endpoints (job events) at submit time, as
   * a job submitted alone would. Absent on records written before steps had targets.
   */
  stepWebhooks?: WebhookTarget[];
}

/** Fields a write may change; the rest are the pipeline's from its creation. */
export type PipelineChanges = Partial<Pick<Pipeline, 'status' | 'finishedAt' | 'materialised' | 'cancelRequested'>>;

export interface PipelineExpectation {
  status: readonly PipelineStatus[];
  version?: number;
}

export function pipelinePath(pipelineId: string): string {
  return `/pipelines/${encodeURIComponent(pipelineId)}`;
}
