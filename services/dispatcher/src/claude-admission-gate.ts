import type { Config } from '@agent-runner/shared/config/config.ts';
import type { Job } from '@agent-runner/shared/domain/job.ts';
import { isTerminal } from '@agent-runner/shared/domain/job-status.ts';
import type { Logger } from '@agent-runner/shared/observability/logger.ts';
import { ClaudeAdmission, type ClaudeAdmissionOptions } from './claude-admission.ts';
import { CLAUDE_JOB_TYPES, claudeJobCost, type ClaudeJobCost } from './claude-job-cost.ts';

/**
 * Claude admission as the scheduler uses it. Its knowledge comes from job records the dispatcher
 * reads anyway — every DISPATCHED or RUNNING job the reaper lists each round (a running worker
 * writes its latest `anthropic-ratelimit-*` headers with each heartbeat) and each job it launched,
 * read once when it ends — so it costs no extra read or write on either backend, and it learns
 * within one AGENT_RUNNER_SWEEP_INTERVAL_SECONDS of a worker's write. Between reads it counts what
 * it launches itself (ClaudeAdmission).
 */
export class ClaudeAdmissionGate {
  private readonly admission: ClaudeAdmission;
  private readonly config: Config;
  private readonly log: Logger;
  /** A waiting job's cost, computed once (its payload is parsed by its type's schema). */
  private readonly costs = new WeakMap<Job, ClaudeJobCost | null>();
  /** Models whose best waiting job was held this round: their later jobs may not overtake it. */
  private readonly heldThisRound = new Set<string>();
  private lastHoldLog = 0;

  constructor(config: Config, log: Logger, options: ClaudeAdmissionOptions = {}) {
    this.config = config;
    this.log = log;
    this.admission = new ClaudeAdmission({ probeMs: config.dispatch.sweepIntervalSeconds * 1000, ...options });
  }

  /** A scheduling round begins: waiting jobs are offered best first. */
  beginRound(): void {
    this.heldThisRound.clear();
  }

  /** Whether `job` may launch now as far as its model's rate limits go (always, for other types). */
  fits(job: Job, nowMs: number): boolean {
    const estimate = this.costOf(job);
    if (!estimate) return true;
    if (this.heldThisRound.has(estimate.model)) return false;
    const decision = this.admission.check(estimate.model, estimate.cost, nowMs);
    if (decision.admit) return true;
    this.heldThisRound.add(estimate.model);
    if (nowMs - this.lastHoldLog > 10_000) {
      this.lastHoldLog = nowMs;
      this.log.info(
        { job_id: job.jobId, model: estimate.model, limit: decision.dimension, retry_in_ms: decision.retryInMs },
        'Claude job held: its model is at its rate limit',
      );
    }
    return false;
  }

  /** `job` took its slots and is launching: count it. */
  admitted(job: Job, nowMs: number): void {
    const estimate = this.costOf(job);
    if (estimate) this.admission.admitted(estimate.model, job.jobId, estimate.cost, nowMs);
  }

  /** Job records just read (the reaper's listing, ended jobs this dispatcher launched). */
  observe(jobs: readonly Job[], nowMs: number): void {
    for (const job of jobs) {
      if (!CLAUDE_JOB_TYPES.has(job.jobType)) continue;
      const model = modelOf(job, this.config.anthropic.defaultModel);
      if (job.rateLimits) {
        const stamped = Date.parse(String(job.rateLimits['observed-at'] ?? ''));
        // A record from a worker that did not stamp its headers: no later than its last write.
        const observedAtMs = Number.isFinite(stamped) ? stamped : Date.parse(job.updatedAt);
        this.admission.observe({ model, jobId: job.jobId, headers: job.rateLimits, observedAtMs }, nowMs);
      } else if (isTerminal(job.status)) {
        if ((job.usage?.calls ?? 0) > 0) this.admission.observeHeaderless(model);
        else this.admission.forget(model, job.jobId);
      }
    }
  }

  private costOf(job: Job): ClaudeJobCost | null {
    let cost = this.costs.get(job);
    if (cost === undefined) {
      cost = claudeJobCost(job, this.config.anthropic.defaultModel, this.config.inlineLimitBytes);
      this.costs.set(job, cost);
    }
    return cost;
  }
}

/** The model a Claude job asked for (what admission keys its limits by), without parsing its payload. */
function modelOf(job: Job, defaultModel: string): string {
  const payload = job.payload;
  if (payload && typeof payload === 'object' && !Array.isArray(payload) && typeof payload.model === 'string') return payload.model;
  return defaultModel;
}
