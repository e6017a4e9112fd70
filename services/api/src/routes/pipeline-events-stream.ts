import type { PassThrough } from 'node:stream';
import type { Context } from 'koa';
import { openEventStream } from '../http/open-event-stream.ts';
import type { Pipeline } from '@agent-runner/shared/domain/pipeline.ts';
import { readStepJobs } from '@agent-runner/shared/pipelines/advance-pipeline.ts';
import type { JobStore } from '@agent-runner/shared/ports/job-store.ts';
import type { PipelineStore } from '@agent-runner/shared/ports/pipeline-store.ts';

/** How often a connected client's pipeline is looked at. */
const POLL_MS = 250;
const KEEPALIVE_MS = 15_000;

/**
 * GET /pipelines/{id}/events — a `step` event each time a step's status changes (the first
 * carries every step's status as it is on connecting), then `end` with the pipeline's status.
 * Steps' own output stays on each job's stream (`links.job` + `/events`). Changes are seen by
 * polling the records, so a step that moves twice between two looks shows its latest status.
 */
export function streamPipelineEvents(ctx: Context, deps: { jobs: JobStore; pipelines: PipelineStore }, pipeline: Pipeline): void {
  const { stream, isClosed } = openEventStream(ctx);
  void pump(stream, deps, pipeline.pipelineId, isClosed).finally(() => stream.end());
}

async function pump(
  stream: PassThrough,
  deps: { jobs: JobStore; pipelines: PipelineStore },
  pipelineId: string,
  isClosed: () => boolean,
): Promise<void> {
  const seen = new Map<string, string>();
  let seq = 0;
  let lastWrite = Date.now();
  try {
    while (!isClosed()) {
      const pipeline = await deps.pipelines.get(pipelineId);
      if (!pipeline) return;
      const jobs = await readStepJobs(deps, pipeline);
      for (const step of pipeline.steps) {
        const job = jobs.get(step.name);
        const status = job?.status ?? 'WAITING';
        if (seen.get(step.name) === status) continue;
        seen.set(step.name, status);
        seq++;
        const data = { seq, at: new Date().toISOString(), step: step.name, job_id: step.jobId, status, error: job?.error ?? null };
        stream.write(`id: ${seq}\nevent: step\ndata: ${JSON.stringify(data)}\n\n`);
        lastWrite = Date.now();
      }
      if (pipeline.status !== 'RUNNING') {
        stream.write(`event: end\ndata: ${JSON.stringify({ status: pipeline.status })}\n\n`);
        return;
      }
      if (Date.now() - lastWrite > KEEPALIVE_MS) {
        stream.write(': keep-alive\n\n');
        lastWrite = Date.now();
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  } catch {
    stream.write(`event: error\ndata: ${JSON.stringify({ message: 'event stream interrupted' })}\n\n`);
  }
}
