import { Counter, Histogram, type Registry } from 'prom-client';

/** How one delivery attempt ended. */
export type WebhookAttemptResult = 'delivered' | 'retrying' | 'gave_up' | 'gone' | 'refused' | 'endpoint_disabled';

/** Seconds from a job's end to its webhook being delivered: instant when the receiver is up, hours when retried. */
const DELIVERY_LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600];

export interface WebhookMetrics {
  attempted(result: WebhookAttemptResult): void;
  /** A delivery succeeded `seconds` after its event. */
  delivered(seconds: number): void;
}

/** The dispatcher's webhook series, on its registry (`/metrics`); a registry that has them already is reused. */
export function createWebhookMetrics(registry: Registry): WebhookMetrics {
  const existing = registry.getSingleMetric('agent_runner_webhook_attempts_total');
  const attempts =
    (existing as Counter<'outcome'> | undefined) ??
    new Counter({
      name: 'agent_runner_webhook_attempts_total',
      help: 'Webhook delivery attempts by outcome: delivered, retrying (will be tried again), gave_up (24 h passed), gone (410), refused (not sent: URL or address not allowed), endpoint_disabled.',
      labelNames: ['outcome'] as const,
      registers: [registry],
    });
  const latency =
    (registry.getSingleMetric('agent_runner_webhook_delivery_latency_seconds') as Histogram | undefined) ??
    new Histogram({
      name: 'agent_runner_webhook_delivery_latency_seconds',
      help: "From the event (a job's end) to its webhook being delivered, retries included.",
      buckets: DELIVERY_LATENCY_BUCKETS,
      registers: [registry],
    });
  return {
    attempted: (result) => attempts.inc({ outcome: result }),
    delivered: (seconds) => latency.observe(Math.max(0, seconds)),
  };
}
