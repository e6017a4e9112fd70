import { z } from 'zod';
import { PipelineViewSchema } from '../schemas/pipeline-view.ts';
import { StreamTokenSchema } from '../schemas/stream-token.ts';
import { SubmitPipelineRequestSchema } from '../schemas/submit-pipeline-request.ts';
import type { ParamDoc, RouteDoc } from './route-doc.ts';

const JSON_TYPE = 'application/json';

const pipelineId: Readonly<Record<string, ParamDoc>> = {
  id: { description: 'The pipeline id (a ULID, 26 characters).', schema: z.string() },
};

const PipelineEventSchema = z
  .looseObject({
    event: z.string().optional().describe('`step` (a step changed status), `end` last, `error` when cut short.'),
    data: z
      .string()
      .describe('JSON: for `step`, `seq`, `at`, `step`, `job_id`, `status`, `error`; for `end`, `{"status": <pipeline status>}`.'),
    id: z.string().regex(/^\d+$/).optional(),
  })
  .meta({ id: 'PipelineEvent' });

/** The pipeline routes, as the OpenAPI document describes them (spread into API_ROUTES). */
export const PIPELINE_ROUTES: readonly RouteDoc[] = [
  {
    method: 'post',
    path: '/pipelines',
    operationId: 'submitPipeline',
    summary: 'Submit a pipeline: named steps (jobs) that run in the order their `needs` give.',
    description:
      'All steps are recorded at once. Steps with no needs are queued at once; a step is queued when every step it needs ' +
      'SUCCEEDED, with each `{"$from": "<step>", "pointer": "<JSON Pointer>"}` in its payload replaced by that value of the ' +
      "step's result (a missing value fails the step). When a needed step fails, times out, is cancelled or skipped, the " +
      'step ends SKIPPED unless it says `continue_on_failure`. A cycle, an unknown or duplicate name, or a `$from` naming a ' +
      'step it does not need is a 400. Each payload is checked against its job type except where references stand.',
    tag: 'pipelines',
    requestHeaders: {
      'Idempotency-Key': {
        description:
          'As on POST /jobs: a quoted string (1–255 printable ASCII characters) unique to this submission. A repeat with the ' +
          'same key and the same body within 24 h records nothing and answers 200 with the pipeline the first recorded; the ' +
          'same key with another body (or a key used on POST /jobs) is a 422. Keys are per tenant. The key is stored in the ' +
          'same atomic write as the pipeline, so a retry after any failure never records a second one.',
        schema: z.string(),
      },
    },
    body: { mediaType: JSON_TYPE, schema: SubmitPipelineRequestSchema },
    responses: {
      200: {
        description: 'A repeat of an earlier submission with the same Idempotency-Key: the pipeline it recorded, as it is now.',
        body: { mediaType: JSON_TYPE, schema: PipelineViewSchema },
        headers: {
          Location: { description: "The pipeline's URL path, `/pipelines/{id}`.", schema: z.string() },
          'Idempotent-Replayed': { description: '`true`: nothing was recorded by this request.', schema: z.literal('true') },
        },
      },
      202: {
        description: 'Accepted: the pipeline is RUNNING.',
        body: { mediaType: JSON_TYPE, schema: PipelineViewSchema },
        headers: { Location: { description: "The pipeline's URL path, `/pipelines/{id}`.", schema: z.string() } },
      },
    },
    scope: 'submit',
    problems: [400, 413, 415, 422, 429, 503],
  },
  {
    method: 'get',
    path: '/pipelines/{id}',
    operationId: 'getPipeline',
    summary: 'One pipeline: its rolled-up status, each step with its job id and status, and the total cost.',
    tag: 'pipelines',
    pathParams: pipelineId,
    responses: { 200: { description: 'The pipeline.', body: { mediaType: JSON_TYPE, schema: PipelineViewSchema } } },
    scope: 'read',
    problems: [404, 503],
  },
  {
    method: 'post',
    path: '/pipelines/{id}/cancel',
    operationId: 'cancelPipeline',
    summary: 'Cancel what has not finished: waiting and queued steps end CANCELLED, running ones are cancelled as jobs are.',
    tag: 'pipelines',
    pathParams: pipelineId,
    responses: { 202: { description: 'The pipeline, as the cancel left it.', body: { mediaType: JSON_TYPE, schema: PipelineViewSchema } } },
    scope: 'cancel',
    problems: [404, 409, 503],
  },
  {
    method: 'get',
    path: '/pipelines/{id}/events',
    operationId: 'streamPipelineEvents',
    summary: "The pipeline's step status changes as Server-Sent Events, until it ends.",
    tag: 'pipelines',
    pathParams: pipelineId,
    query: z.object({
      stream_token: z
        .string()
        .optional()
        .describe(
          'Instead of an Authorization header (EventSource cannot send one): a token from POST /pipelines/{id}/stream-token, valid 60 s.',
        ),
    }),
    responses: { 200: { description: 'The event stream.', body: { mediaType: 'text/event-stream', schema: PipelineEventSchema } } },
    scope: 'read',
    problems: [404, 503],
  },
  {
    method: 'post',
    path: '/pipelines/{id}/stream-token',
    operationId: 'createPipelineStreamToken',
    summary: "A short-lived token that opens this pipeline's event stream, for clients that cannot send headers (EventSource).",
    description:
      "The token is valid for 60 seconds, for this pipeline only (a job's token does not open it, nor this one a job's), " +
      'and dies with the key that asked for it. With auth off `stream_token` is null and the stream needs nothing.',
    tag: 'pipelines',
    pathParams: pipelineId,
    responses: { 200: { description: 'The token and the URL to open.', body: { mediaType: JSON_TYPE, schema: StreamTokenSchema } } },
    scope: 'read',
    problems: [404, 503],
  },
];
