import type { Config } from '@agent-runner/shared/config/config.ts';
import { ValidationError } from '@agent-runner/shared/domain/errors.ts';
import {
  findReferences,
  formatPath,
  graphProblems,
  isUnderReference,
  type GraphProblem,
} from '@agent-runner/shared/domain/pipeline-graph.ts';
import { PIPELINE_WEBHOOK_EVENTS, type WebhookTarget } from '@agent-runner/shared/domain/webhook-target.ts';
import type { NewPipelineStep } from '@agent-runner/shared/pipelines/record-pipeline.ts';
import { assertWebhookUrl } from '@agent-runner/shared/webhooks/webhook-url.ts';
import { fieldErrors, REQUIRED_WHEN_MISSING, summarize } from '@agent-runner/shared/validation/field-errors.ts';
import { SubmitPipelineRequestSchema, type PipelineStepRequest } from '../schemas/submit-pipeline-request.ts';
import { jobFromFields } from './parse-submission.ts';

export interface ParsedPipeline {
  steps: NewPipelineStep[];
  /** The tenant the body names, if any (the route decides whether the caller may). */
  tenant: string | undefined;
  webhooks: WebhookTarget[];
}

/**
 * A POST /pipelines body, checked whole before anything is recorded: its shape, then the graph
 * (duplicate names, unknown needs, cycles), then every `$from` reference (well formed, naming a
 * step it needs), then each step's job as POST /jobs checks one. A payload is checked against its
 * job type's schema everywhere but at its references: those values exist only once the steps they
 * come from have run, so errors at or under a reference are deferred, and the payload is checked
 * again, whole, when the step is released (failing the step if it is then invalid).
 */
export function parsePipeline(body: unknown, config: Config): ParsedPipeline {
  const parsed = SubmitPipelineRequestSchema.safeParse(body, REQUIRED_WHEN_MISSING);
  if (!parsed.success) {
    const errors = fieldErrors(parsed.error.issues);
    throw new ValidationError(`the request body is not a valid pipeline: ${summarize(errors)}`, { problem: 'invalid-request', errors });
  }
  const request = parsed.data;
  const steps = parseSteps(request.steps, config);
  if (request.webhook) assertWebhookUrl(request.webhook.url, config.webhooks, 'webhook.url');
  const webhooks: WebhookTarget[] = request.webhook
    ? [{ url: request.webhook.url, events: request.webhook.events ?? [...PIPELINE_WEBHOOK_EVENTS], endpointId: null }]
    : [];
  return { steps, tenant: request.tenant, webhooks };
}

/** Steps named and chained as given; used for POST /pipelines and for POST /jobs with `then`. */
export function parseSteps(requests: readonly PipelineStepRequest[], config: Config): NewPipelineStep[] {
  const graph = requests.map((s) => ({ name: s.name, needs: s.needs ?? [] }));
  const problems: GraphProblem[] = graphProblems(graph);
  if (problems.length > 0) {
    throw new ValidationError(`the steps do not form a pipeline: ${summarize(problems)}`, {
      problem: 'invalid-pipeline',
      errors: problems,
    });
  }
  return requests.map((step, i) => {
    const at = `steps[${i}]`;
    const { references, problems: malformed } = findReferences(step.payload);
    const needs = step.needs ?? [];
    const refProblems = [
      ...malformed,
      ...references
        .filter((r) => !needs.includes(r.from))
        .map((r) => ({ path: formatPath(r.at), message: `takes a value from "${r.from}", a step it does not need` })),
    ].map((p) => ({ path: `${at}.${p.path}`, message: p.message }));
    if (refProblems.length > 0) {
      throw new ValidationError(`a step's $from reference is invalid: ${summarize(refProblems)}`, {
        problem: 'invalid-reference',
        errors: refProblems,
      });
    }
    const job = jobFromFields(step, config, { at, deferred: (path) => isUnderReference(path, references) });
    return { name: step.name, needs, continueOnFailure: step.continue_on_failure ?? false, job };
  });
}
