import { z } from 'zod';
import { JOB_STATUSES } from '@agent-runner/shared/domain/job-status.ts';
import { PIPELINE_STATUSES } from '@agent-runner/shared/domain/pipeline.ts';
import { JobErrorViewSchema } from './job-view.ts';

const timestamp = z.iso.datetime();

export const PipelineStepViewSchema = z
  .object({
    name: z.string(),
    job_id: z.string(),
    job_type: z.string(),
    needs: z.array(z.string()),
    continue_on_failure: z.boolean(),
    status: z.enum(JOB_STATUSES).describe("The step job's status (WAITING until the steps it needs have ended)."),
    error: JobErrorViewSchema.nullable().describe('Why it failed, or (kind `skipped`) why it did not run.'),
    cost_usd: z.number().nullable(),
    links: z.object({ job: z.string() }),
  })
  .meta({ id: 'PipelineStep' });

export const PipelineViewSchema = z
  .object({
    pipeline_id: z.string(),
    status: z.enum(PIPELINE_STATUSES).describe('RUNNING until every step ended; then SUCCEEDED (all did), CANCELLED or FAILED.'),
    tenant: z.string(),
    created_at: timestamp,
    updated_at: timestamp,
    finished_at: timestamp.nullable(),
    cost_usd: z.number().describe("The steps' model calls, USD, summed (0 when none recorded)."),
    steps: z.array(PipelineStepViewSchema).describe('In the order submitted.'),
    links: z.object({ self: z.string(), cancel: z.string(), events: z.string() }),
  })
  .meta({ id: 'Pipeline' });

export type PipelineView = z.output<typeof PipelineViewSchema>;
