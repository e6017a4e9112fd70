import type { Config } from '@agent-runner/shared/config/config.ts';
import type { Job, NewJob } from '@agent-runner/shared/domain/job.ts';
import { isTerminal } from '@agent-runner/shared/domain/job-status.ts';
import { roundUsd } from '@agent-runner/shared/domain/job-usage.ts';
import { cancelJob } from '@agent-runner/shared/domain/transitions.ts';
import { applyTransition } from '@agent-runner/shared/jobs/apply-transition.ts';
import { loadResult } from '@agent-runner/shared/jobs/load-result.ts';
import { submitJob, type SubmitJobDeps } from '@agent-runner/shared/jobs/submit-job.ts';
import { resolveIsolation } from '@agent-runner/shared/job-types/isolation.ts';
import { validateJobPayload } from '@agent-runner/shared/job-types/validate-job-payload.ts';
import type { ChildJobOutcome, ChildJobRequest, ChildJobRunner } from './handlers/job-handler.ts';
import { sleep } from './handlers/sleep-for.ts';

export interface ChildJobDeps {
  /** What submitJob needs: the backend's job store, queue and blobs, a clock, an id source. */
  submit: SubmitJobDeps;
  /** For the defaults and the job types' submit-time checks. */
  config: Config;
  /** The running job: its children inherit its tenant, priority and submitting key. */
  parent: Pick<Job, 'jobId' | 'tenant' | 'priority'> & Partial<Pick<Job, 'keyId'>>;
  /** How often the child's record is read while waiting; default 1000 ms. */
  pollMs?: number;
}

/**
 * Starts child jobs through the same path as POST /jobs (validated as a submission, recorded,
 * enqueued) and waits for each by reading its record until it is terminal. The parent holds its
 * worker while it waits, so a deployment whose every slot holds a waiting parent cannot run the
 * children: keep tool_agent's concurrency below AGENT_RUNNER_MAX_RUNNING.
 */
export function createChildJobRunner(deps: ChildJobDeps): ChildJobRunner {
  const pollMs = deps.pollMs ?? 1000;
  let spentUsd = 0;
  return {
    spentUsd: () => spentUsd,
    async runChildJob(request: ChildJobRequest, signal: AbortSignal): Promise<ChildJobOutcome> {
      const child = await submitJob(deps.submit, validatedChild(request, deps));
      for (;;) {
        if (signal.aborted) {
          // The parent is cancelled, timed out or superseded: nobody will read the child's result.
          await cancelChild(deps, child.jobId);
          throw signal.reason;
        }
        const job = await deps.submit.jobs.get(child.jobId);
        if (job && isTerminal(job.status)) {
          const costUsd = job.usage?.cost_usd ?? 0;
          spentUsd = roundUsd(spentUsd + costUsd);
          return {
            jobId: job.jobId,
            status: job.status,
            result: job.status === 'SUCCEEDED' ? await loadResult(deps.submit.blobs, job) : null,
            error: job.error,
            costUsd,
          };
        }
        try {
          await sleep(pollMs, signal);
        } catch (error) {
          if (!signal.aborted) throw error;
        }
      }
    },
  };
}

/** Best effort: a child that already ended stays as it is; a store that fails leaves it to run out. */
async function cancelChild(deps: ChildJobDeps, jobId: string): Promise<void> {
  const now = () => deps.submit.clock.now();
  try {
    await applyTransition(deps.submit.jobs, jobId, (job) => cancelJob(job, now()), now);
  } catch {
    // The parent's own ending matters more than its child's; the child still ends by its timeout.
  }
}

/** The child as a NewJob, refused like a bad submission would be (ValidationError, from the same check). */
function validatedChild(request: ChildJobRequest, deps: ChildJobDeps): NewJob {
  const jobType = validateJobPayload(request.jobType, request.payload, deps.config);
  return {
    jobType,
    // The child's own type decides, as for a POST /jobs that names no isolation.
    isolation: resolveIsolation(jobType, undefined, deps.config),
    payload: request.payload,
    priority: deps.parent.priority,
    tenant: deps.parent.tenant,
    keyId: deps.parent.keyId ?? null,
    orderingKey: null,
    maxAttempts: deps.config.defaults.maxAttempts,
    timeoutSeconds: request.timeoutSeconds ?? deps.config.defaults.timeoutSeconds,
  };
}
