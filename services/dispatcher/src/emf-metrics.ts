import type { Clock } from '@agent-runner/shared/domain/ids.ts';
import type { JobOutcome } from '@agent-runner/shared/observability/metrics.ts';

/** The CloudWatch namespace of every metric the dispatcher writes; the stack's alarms name it. */
export const EMF_NAMESPACE = 'AgentRunner';

/** The metric names the stack's alarms depend on (infra/agent-runner.cfn.yaml): change them together. */
export const EMF_METRICS = {
  jobsEnded: 'JobsEnded',
  heartbeat: 'DispatcherHeartbeat',
  spendToday: 'SpendTodayUsd',
} as const;

type EmfUnit = 'Count' | 'None';

/**
 * One CloudWatch Embedded Metric Format record (docs.aws.amazon.com/AmazonCloudWatch/latest/
 * monitoring/CloudWatch_Embedded_Metric_Format_Specification.html): the `_aws` metadata names the
 * namespace, the dimension keys and the metrics; their values are members of the same object.
 * CloudWatch Logs turns such a line into metrics as it ingests the awslogs stream: no PutMetricData
 * call, no extra permission, no agent.
 */
export function emfRecord(
  at: Date,
  metric: { name: string; unit: EmfUnit; value: number },
  dimensions: Record<string, string> = {},
): Record<string, unknown> {
  return {
    _aws: {
      Timestamp: at.getTime(),
      CloudWatchMetrics: [
        { Namespace: EMF_NAMESPACE, Dimensions: [Object.keys(dimensions)], Metrics: [{ Name: metric.name, Unit: metric.unit }] },
      ],
    },
    ...dimensions,
    [metric.name]: metric.value,
  };
}

/** Writes the dispatcher's EMF records, one JSON line each, to `writeLine` (stdout in a task). */
export class EmfMetrics {
  private readonly writeLine: (line: string) => void;
  private readonly clock: Clock;

  constructor(writeLine: (line: string) => void, clock: Clock) {
    this.writeLine = writeLine;
    this.clock = clock;
  }

  /** A job this dispatcher followed ended (or ended at its launch): one per job end it observes. */
  jobEnded(outcome: JobOutcome): void {
    this.write(emfRecord(this.clock.now(), { name: EMF_METRICS.jobsEnded, unit: 'Count', value: 1 }, { Outcome: outcome }));
  }

  /** Once a minute while the dispatcher runs: the "no heartbeat" alarm fires on its absence. */
  heartbeat(): void {
    this.write(emfRecord(this.clock.now(), { name: EMF_METRICS.heartbeat, unit: 'Count', value: 1 }));
  }

  /** Today's (UTC) recorded spend, Claude plus compute, as a gauge. */
  spendToday(usd: number): void {
    this.write(emfRecord(this.clock.now(), { name: EMF_METRICS.spendToday, unit: 'None', value: usd }));
  }

  private write(record: Record<string, unknown>): void {
    this.writeLine(JSON.stringify(record));
  }
}

/** The sink of a dispatcher in an ECS task: its stdout, which awslogs ships to CloudWatch Logs. */
export function stdoutLines(line: string): void {
  process.stdout.write(`${line}\n`);
}
