import { currentAttempt, type Attempt, type Job } from '@agent-runner/shared/domain/job.ts';
import { isTerminal } from '@agent-runner/shared/domain/job-status.ts';
import type { Logger } from '@agent-runner/shared/observability/logger.ts';
import type { AgentRunnerMetrics, JobOutcome } from '@agent-runner/shared/observability/metrics.ts';
import type { JobStore } from '@agent-runner/shared/ports/job-store.ts';
import type { EmfMetrics } from './emf-metrics.ts';

/** What it reads and writes: the dispatcher's own (a subset of DispatcherDeps). */
export interface JobOutcomeMetricsDeps {
  jobs: JobStore;
  metrics: AgentRunnerMetrics;
  log: Logger;
  /** aws backend: each job end is also an EMF `JobsEnded` record (the stack's failure-rate alarm). */
  emf?: EmfMetrics | null;
}

interface Followed {
  attempt: number;
  startReported: boolean;
}

/**
 * Turns what workers write on job records into the dispatcher's metrics: a one-shot worker has no
 * port to scrape. Each dispatcher follows only the jobs it launched, so with several dispatchers
 * nothing is counted twice. A followed job is read once when it leaves DISPATCHED/RUNNING (the
 * reaper lists those every interval anyway; those that left in one interval are read together); its start, its end and its Claude usage are recorded
 * then. A dispatcher that restarts forgets whom it followed: those jobs' ends (and spend) go
 * uncounted — the job records and GET /usage still have them.
 */
export class JobOutcomeMetrics {
  private readonly followed = new Map<string, Followed>();
  private readonly deps: JobOutcomeMetricsDeps;

  constructor(deps: JobOutcomeMetricsDeps) {
    this.deps = deps;
  }

  /** This dispatcher launched the job's current attempt. */
  launched(job: Job): void {
    this.deps.metrics.jobDispatched(job);
    this.followed.set(job.jobId, { attempt: job.attempt, startReported: false });
  }

  /** A launch failed and, out of attempts, ended the job. */
  endedAtLaunch(job: Job): void {
    if (!isTerminal(job.status)) return;
    this.deps.metrics.jobFinished({ jobType: job.jobType, priority: job.priority, outcome: job.status as JobOutcome, ranSeconds: null });
    this.deps.emf?.jobEnded(job.status as JobOutcome);
  }

  /**
   * `active`: every job now DISPATCHED or RUNNING (the reaper's listing). Sets the running gauge,
   * and settles the followed jobs that are no longer among them. Returns the records it read.
   */
  async observe(active: readonly Job[]): Promise<Job[]> {
    const read: Job[] = [];
    const counts: Record<string, number> = {};
    const activeIds = new Set<string>();
    for (const job of active) {
      counts[job.jobType] = (counts[job.jobType] ?? 0) + 1;
      activeIds.add(job.jobId);
      const followed = this.followed.get(job.jobId);
      if (followed) this.reportStart(job, followed);
    }
    this.deps.metrics.setJobsRunning(counts);
    // The jobs that left the listing, read in one ask (one BatchGetItem per 100 on DynamoDB), not one read each.
    const left = [...this.followed.keys()].filter((jobId) => !activeIds.has(jobId));
    const fetched = left.length > 0 ? await this.deps.jobs.getMany(left) : [];
    read.push(...fetched);
    const byId = new Map(fetched.map((job) => [job.jobId, job]));
    for (const jobId of left) {
      const followed = this.followed.get(jobId)!;
      const job = byId.get(jobId) ?? null;
      if (job && (job.status === 'DISPATCHED' || job.status === 'RUNNING') && job.attempt === followed.attempt) continue; // beyond the listing's page
      this.followed.delete(jobId);
      if (!job || job.attempt !== followed.attempt) continue;
      this.reportStart(job, followed);
      if (isTerminal(job.status)) this.reportEnd(job);
    }
    return read;
  }

  private reportStart(job: Job, followed: Followed): void {
    const attempt = currentAttempt(job);
    if (followed.startReported || job.attempt !== followed.attempt || !attempt?.startedAt) return;
    followed.startReported = true;
    const queuedAt = queuedAtOf(job, attempt);
    this.deps.metrics.jobStarted({ jobType: job.jobType, waitedSeconds: (Date.parse(attempt.startedAt) - Date.parse(queuedAt)) / 1000 });
  }

  private reportEnd(job: Job): void {
    // The record's usage is the sum over all attempts, so it is counted once, at the job's end.
    for (const [model, totals] of Object.entries(job.usage?.by_model ?? {})) {
      this.deps.metrics.claudeUsage(
        model,
        {
          inputTokens: totals.input_tokens,
          outputTokens: totals.output_tokens,
          cacheWriteTokens: totals.cache_write_tokens,
          cacheReadTokens: totals.cache_read_tokens,
        },
        totals.cost_usd,
      );
    }
    const attempt = currentAttempt(job);
    // Cancelled while it waited for a retry: the API counted it when it cancelled a QUEUED job.
    if (job.status === 'CANCELLED' && attempt?.outcome !== 'CANCELLED') return;
    const ranSeconds = attempt?.startedAt && job.finishedAt ? (Date.parse(job.finishedAt) - Date.parse(attempt.startedAt)) / 1000 : null;
    this.deps.metrics.jobFinished({ jobType: job.jobType, priority: job.priority, outcome: job.status as JobOutcome, ranSeconds });
    this.deps.emf?.jobEnded(job.status as JobOutcome);
  }
}

/** When the attempt's wait began: the job's creation, or the end of the attempt before it. */
function queuedAtOf(job: Job, attempt: Attempt): string {
  const previous = job.attempts.find((a) => a.number === attempt.number - 1);
  return previous?.endedAt ?? job.createdAt;
}
