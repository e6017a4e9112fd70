import type { Config } from '@agent-runner/shared/config/config.ts';
import type { Clock } from '@agent-runner/shared/domain/ids.ts';
import type { Logger } from '@agent-runner/shared/observability/logger.ts';
import type { AgentRunnerMetrics } from '@agent-runner/shared/observability/metrics.ts';
import type { ConcurrencyLeases } from '@agent-runner/shared/ports/concurrency-leases.ts';
import type { JobQueue } from '@agent-runner/shared/ports/job-queue.ts';
import type { Job } from '@agent-runner/shared/domain/job.ts';
import type { JobStore } from '@agent-runner/shared/ports/job-store.ts';
import type { WorkerLauncher } from '@agent-runner/shared/ports/worker-launcher.ts';
import type { ClaudeAdmissionGate } from './claude-admission-gate.ts';
import type { JobOutcomeMetrics } from './job-outcome-metrics.ts';

/** What the dispatcher's parts need; built once in `startDispatcher`. */
export interface DispatcherDeps {
  config: Config;
  jobs: JobStore;
  queue: JobQueue;
  launcher: WorkerLauncher;
  leases: ConcurrencyLeases;
  clock: Clock;
  log: Logger;
  metrics: AgentRunnerMetrics;
  /** Follows launched jobs to their end for the metrics (see JobOutcomeMetrics). */
  outcomes: JobOutcomeMetrics;
  /** Injected so backoff jitter is deterministic in tests. */
  random: () => number;
  /** Called with a job this dispatcher just ended (a pipeline step moves its pipeline on). Default: nothing. */
  jobEnded?: (job: Job) => Promise<void>;
  /** Holds Claude jobs their model's rate limits have no room for (AGENT_RUNNER_CLAUDE_ADMISSION); absent: off. */
  claudeAdmission?: ClaudeAdmissionGate | null;
}
