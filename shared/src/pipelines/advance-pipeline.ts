import { ConflictError, ValidationError } from '../domain/errors.ts';
import { messageFor, type Job, type JsonValue } from '../domain/job.ts';
import { isTerminal } from '../domain/job-status.ts';
import type { Pipeline, PipelineStep } from '../domain/pipeline.ts';
import { resolveReferences, type NeededOutcome } from '../domain/pipeline-graph.ts';
import { decideWaitingStep, failStep, releaseStep, rollUpStatus, skipStep } from '../domain/pipeline-progress.ts';
import type { Transition } from '../domain/transitions.ts';
import { cancelJob } from '../domain/transitions.ts';
import { validateJobPayload } from '../job-types/validate-job-payload.ts';
import { loadPayload } from '../jobs/load-payload.ts';
import { loadResult } from '../jobs/load-result.ts';
import { endPipeline } from './end-pipeline.ts';
import { materialiseSteps } from './materialise-steps.ts';
import type { PipelineDeps } from './pipeline-deps.ts';

/** Rounds of decisions per call: each round settles at least one step, so a chain of 100 needs at most 100. */
const MAX_ROUNDS = 101;

/**
 * Moves a pipeline on from what its step jobs are now: releases each WAITING step whose needs all
 * ended (resolving the values it takes from them), skips or fails the ones that cannot run,
 * cancels what is left after a cancel, and ends the pipeline once every step ended. Called by
 * whoever ends a step (worker, dispatcher, API) and by the dispatcher's sweep, so a crash between
 * a step's end and this call only delays it. Every write is conditional on the step's state: two
 * calls at once release a step once.
 */
export async function advancePipeline(deps: PipelineDeps, pipelineId: string): Promise<Pipeline | null> {
  let pipeline = await deps.pipelines.get(pipelineId);
  if (pipeline?.status !== 'RUNNING') return pipeline;
  pipeline = await materialiseSteps(deps, pipeline);
  const jobs = await readStepJobs(deps, pipeline);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    let changed = false;
    for (const step of pipeline.steps) {
      const job = jobs.get(step.name);
      if (!job || isTerminal(job.status)) continue;
      const moved = await moveStep(deps, pipeline, step, job, jobs);
      if (moved) {
        jobs.set(step.name, moved.job);
        changed = true;
      }
    }
    if (!changed) break;
  }
  const status = rollUpStatus(
    pipeline.steps.map((s) => jobs.get(s.name)?.status),
    pipeline.cancelRequested,
  );
  if (status === 'RUNNING') return pipeline;
  return endPipeline(deps, pipeline, status);
}

/** What happened to a step: written by this call, moved by someone else meanwhile (re-read), or nothing due. */
type Moved = { job: Job; wrote: boolean } | null;

/** The step's next write, applied; null when nothing was due. */
async function moveStep(deps: PipelineDeps, pipeline: Pipeline, step: PipelineStep, job: Job, jobs: Map<string, Job>): Promise<Moved> {
  const now = deps.clock.now();
  if (pipeline.cancelRequested) return write(deps, job, cancelJob(job, now));
  if (job.status !== 'WAITING') return null;
  const decision = decideWaitingStep(step, (name) => jobs.get(name)?.status, false);
  if (decision.kind === 'wait') return null;
  if (decision.kind === 'cancel') return write(deps, job, cancelJob(job, now));
  if (decision.kind === 'skip') return write(deps, job, skipStep(job, decision.reason, now));
  const resolved = await resolveStepPayload(deps, step, job, jobs);
  if (!resolved.ok) return write(deps, job, failStep(job, resolved.message, now));
  const released = await write(deps, job, releaseStep(job, await storeResolved(deps, job, resolved.payload)));
  // Only the writer that released it enqueues it; one lost here is re-enqueued by the stranded-job sweep.
  if (released?.wrote) await deps.queue.enqueue(messageFor(released.job));
  return released;
}

/**
 * Applies one conditional write. When another writer got there first (a heartbeat on a running
 * step being cancelled, another advancer), the step is read again so the next round decides anew.
 */
async function write(deps: PipelineDeps, job: Job, step: Transition | null): Promise<Moved> {
  if (!step) return null;
  try {
    return { job: await deps.jobs.update(job.jobId, step.expect, step.changes, deps.clock.now()), wrote: true };
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    const fresh = await deps.jobs.get(job.jobId);
    return fresh && fresh.version !== job.version ? { job: fresh, wrote: false } : null;
  }
}

async function resolveStepPayload(
  deps: PipelineDeps,
  step: PipelineStep,
  job: Job,
  jobs: Map<string, Job>,
): Promise<{ ok: true; payload: JsonValue } | { ok: false; message: string }> {
  const outcomes = new Map<string, NeededOutcome>();
  for (const name of step.needs) {
    const needed = jobs.get(name);
    if (!needed) continue;
    outcomes.set(name, { status: needed.status, result: needed.status === 'SUCCEEDED' ? await loadResult(deps.blobs, needed) : null });
  }
  const resolved = resolveReferences(await loadPayload(deps.blobs, job), (name) => outcomes.get(name));
  if (!resolved.ok) return resolved;
  try {
    // Checked at submit time except where references stood: now they hold values, check it whole.
    validateJobPayload(job.jobType, resolved.payload, deps.config);
  } catch (error) {
    if (error instanceof ValidationError) return { ok: false, message: `with the values taken from other steps, ${error.message}` };
    throw error;
  }
  return resolved;
}

async function storeResolved(
  deps: PipelineDeps,
  job: Job,
  payload: JsonValue,
): Promise<{ payload: JsonValue | null; payloadRef: string | null }> {
  const body = JSON.stringify(payload);
  if (Buffer.byteLength(body) <= deps.config.inlineLimitBytes) return { payload, payloadRef: null };
  // Beside the submitted payload, not over it: a racing advancer may still be reading that one.
  const payloadRef = `payloads/${job.jobId}.resolved.json`;
  await deps.blobs.put(payloadRef, body, 'application/json');
  return { payload: null, payloadRef };
}

export async function readStepJobs(deps: Pick<PipelineDeps, 'jobs'>, pipeline: Pipeline): Promise<Map<string, Job>> {
  const found = await Promise.all(pipeline.steps.map((s) => deps.jobs.get(s.jobId)));
  const jobs = new Map<string, Job>();
  pipeline.steps.forEach((s, i) => {
    const job = found[i];
    if (job) jobs.set(s.name, job);
  });
  return jobs;
}
