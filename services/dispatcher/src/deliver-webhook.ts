import { ConflictError } from '@agent-runner/shared/domain/errors.ts';
import type { Clock } from '@agent-runner/shared/domain/ids.ts';
import type { JsonValue } from '@agent-runner/shared/domain/job.ts';
import type { WebhookAttemptOutcome, WebhookDelivery } from '@agent-runner/shared/domain/webhook-delivery.ts';
import { nextWebhookAttemptAt } from '@agent-runner/shared/domain/webhook-retry-schedule.ts';
import { toJobView } from '@agent-runner/shared/jobs/job-view.ts';
import type { Logger } from '@agent-runner/shared/observability/logger.ts';
import type { WebhookAttemptResult, WebhookMetrics } from '@agent-runner/shared/observability/webhook-metrics.ts';
import type { JobStore } from '@agent-runner/shared/ports/job-store.ts';
import type { WebhookDeliveryStore } from '@agent-runner/shared/ports/webhook-deliveries.ts';
import type { WebhookEndpointStore, WebhookSecretStore } from '@agent-runner/shared/ports/webhook-endpoints.ts';
import { sendWebhook, WEBHOOK_TIMEOUT_MS, type WebhookSendRules } from '@agent-runner/shared/webhooks/send-webhook.ts';
import { webhookHeaders } from '@agent-runner/shared/webhooks/sign-webhook.ts';
import type { PipelineStore } from '@agent-runner/shared/ports/pipeline-store.ts';
import { readStepJobs } from '@agent-runner/shared/pipelines/advance-pipeline.ts';
import { toPipelineView } from '@agent-runner/shared/pipelines/pipeline-view.ts';

/**
 * How long a claimed delivery is hidden from other dispatchers: the send's 10 s timeout and the
 * writes around it. A dispatcher that dies mid-attempt leaves it due again then.
 */
export const WEBHOOK_CLAIM_SECONDS = 15;

export interface WebhookDeliveryDeps {
  deliveries: WebhookDeliveryStore;
  jobs: JobStore;
  /** For a pipeline's deliveries: its view is their `data`. Absent: only its id is sent. */
  pipelines?: PipelineStore | undefined;
  secrets: WebhookSecretStore;
  /** Absent: 410s disable the delivery only. */
  endpoints?: WebhookEndpointStore | undefined;
  rules: WebhookSendRules;
  backoffBaseSeconds: number;
  clock: Clock;
  random: () => number;
  metrics: WebhookMetrics;
  log: Logger;
}

/**
 * One attempt at a delivery, if it is PENDING and due: claim it (a conditional write, so one
 * dispatcher sends), sign and send it, record the attempt and what comes next. Returns the delivery
 * as it now is, or null when another dispatcher holds it.
 */
export async function attemptWebhookDelivery(deps: WebhookDeliveryDeps, delivery: WebhookDelivery): Promise<WebhookDelivery | null> {
  const now = deps.clock.now();
  if (delivery.status !== 'PENDING' || (delivery.nextAttemptAt !== null && Date.parse(delivery.nextAttemptAt) > now.getTime())) {
    return delivery;
  }
  let claimed: WebhookDelivery;
  try {
    claimed = await deps.deliveries.claim(delivery.deliveryId, delivery.version, new Date(now.getTime() + WEBHOOK_CLAIM_SECONDS * 1000));
  } catch (error) {
    if (error instanceof ConflictError) return null;
    throw error;
  }
  const number = claimed.attempts.length + 1;
  const startedAt = deps.clock.now();
  const { result, outcome } = await attemptOnce(deps, claimed, number, startedAt);
  try {
    const written = await deps.deliveries.recordAttempt(claimed.deliveryId, claimed.version, outcome);
    deps.metrics.attempted(result);
    if (result === 'delivered') deps.metrics.delivered((Date.parse(outcome.attempt.endedAt) - Date.parse(claimed.createdAt)) / 1000);
    deps.log.info(
      { deliveryId: claimed.deliveryId, subjectId: claimed.subjectId, attempt: number, result, statusCode: outcome.attempt.statusCode },
      'webhook attempt',
    );
    return written;
  } catch (error) {
    // The claim expired and another dispatcher took over: its record wins (the receiver may see a repeat).
    if (error instanceof ConflictError) return null;
    throw error;
  }
}

async function attemptOnce(
  deps: WebhookDeliveryDeps,
  delivery: WebhookDelivery,
  number: number,
  startedAt: Date,
): Promise<{ result: WebhookAttemptResult; outcome: WebhookAttemptOutcome }> {
  const ended = (statusCode: number | null, error: string | null) => ({
    number,
    startedAt: startedAt.toISOString(),
    endedAt: deps.clock.now().toISOString(),
    statusCode,
    error,
  });
  const final = (result: WebhookAttemptResult, status: 'FAILED' | 'DISABLED', error: string, statusCode: number | null = null) => ({
    result,
    outcome: { attempt: ended(statusCode, error), status, nextAttemptAt: null, deliveredAt: null },
  });

  if (delivery.endpointId !== null && deps.endpoints) {
    const endpoint = await deps.endpoints.get(delivery.endpointId);
    if (endpoint?.disabledAt) {
      return final(
        'endpoint_disabled',
        'DISABLED',
        `endpoint ${delivery.endpointId} is disabled: ${endpoint.disabledReason ?? 'no reason'}`,
      );
    }
  }
  const data = await subjectData(deps, delivery);
  const body = JSON.stringify({ type: delivery.event, timestamp: delivery.createdAt, data });
  const secrets = await deps.secrets.signingSecrets(delivery.tenant, startedAt);
  const headers = webhookHeaders(delivery.deliveryId, Math.floor(startedAt.getTime() / 1000), body, secrets);
  const sent = await sendWebhook(delivery.url, body, headers, { timeoutMs: WEBHOOK_TIMEOUT_MS, ...deps.rules });

  switch (sent.kind) {
    case 'delivered': {
      const attempt = ended(sent.statusCode, null);
      return { result: 'delivered', outcome: { attempt, status: 'DELIVERED', nextAttemptAt: null, deliveredAt: attempt.endedAt } };
    }
    case 'gone':
      if (delivery.endpointId !== null && deps.endpoints) {
        await deps.endpoints.disable(
          delivery.endpointId,
          `HTTP 410 Gone from ${delivery.url} (delivery ${delivery.deliveryId})`,
          deps.clock.now(),
        );
      }
      return final('gone', 'DISABLED', sent.error ?? 'HTTP 410 Gone', sent.statusCode);
    case 'refused':
      return final('refused', 'FAILED', sent.error);
    case 'failed': {
      const next = nextWebhookAttemptAt(new Date(delivery.createdAt), number, deps.clock.now(), deps.backoffBaseSeconds, deps.random);
      if (next === null) return final('gave_up', 'FAILED', `${sent.error ?? 'failed'}; gave up: 24 h of retries passed`, sent.statusCode);
      return {
        result: 'retrying',
        outcome: { attempt: ended(sent.statusCode, sent.error), status: 'PENDING', nextAttemptAt: next.toISOString(), deliveredAt: null },
      };
    }
  }
}

/**
 * The delivery's `data`: a job's view as GET /jobs/{id} shows it, with its result when the record
 * holds it (up to AGENT_RUNNER_INLINE_LIMIT_BYTES); a larger result is left to `links.self`.
 */
async function subjectData(deps: WebhookDeliveryDeps, delivery: WebhookDelivery): Promise<JsonValue> {
  if (delivery.subjectKind === 'job') {
    const job = await deps.jobs.get(delivery.subjectId);
    if (job) {
      const view = toJobView(job, job.status === 'SUCCEEDED' && job.result !== null ? job.result : undefined);
      return JSON.parse(JSON.stringify(view)) as JsonValue;
    }
  }
  if (delivery.subjectKind === 'pipeline' && deps.pipelines) {
    const pipeline = await deps.pipelines.get(delivery.subjectId);
    if (pipeline) {
      const view = toPipelineView(pipeline, await readStepJobs({ jobs: deps.jobs }, pipeline));
      return JSON.parse(JSON.stringify(view)) as JsonValue;
    }
  }
  return { [`${delivery.subjectKind}_id`]: delivery.subjectId };
}
