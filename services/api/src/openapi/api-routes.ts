import { z } from 'zod';
import { JOB_EVENT_TYPES } from '@agent-runner/shared/job-events/catalogue.ts';
import { HealthSchema } from '../schemas/health.ts';
import { JobListSchema, JobViewSchema } from '../schemas/job-view.ts';
import { ListJobsQuerySchema } from '../schemas/list-jobs-query.ts';
import { StatsSchema } from '../schemas/stats.ts';
import { StreamTokenSchema } from '../schemas/stream-token.ts';
import { TimeseriesQuerySchema, TimeseriesSchema } from '../schemas/timeseries.ts';
import { UsageQuerySchema, UsageReportSchema } from '../schemas/usage.ts';
import { PIPELINE_ROUTES } from './pipeline-routes.ts';
import type { ParamDoc, ResponseDoc, RouteDoc } from './route-doc.ts';
import { WEBHOOK_DELIVERY_ROUTES } from './webhook-delivery-routes.ts';
import { WEBHOOK_ENDPOINT_ROUTES } from './webhook-endpoint-routes.ts';

const JSON_TYPE = 'application/json';

const jobId: Readonly<Record<string, ParamDoc>> = {
  id: { description: 'The job id (a ULID, 26 characters).', schema: z.string() },
};

const text = (mediaType: string, description: string): ResponseDoc => ({ description, body: { mediaType, schema: z.string() } });

/**
 * One Server-Sent Event as a client's parser sees it (what the `text/event-stream` schema of the
 * events route describes: tools such as schemathesis check each event against it).
 */
const ServerSentEventSchema = z
  .looseObject({
    event: z.string().optional().describe('The event type (`text_delta`, `model_call`, …; `end` last; `error` when cut short).'),
    data: z.string().describe('JSON: `seq`, `at`, `attempt`, `type`, `data`; for `end`, `{"status": <terminal status>}`.'),
    id: z.string().regex(/^\d+$/).optional().describe('The sequence number (absent on `end` and `error`).'),
  })
  .meta({ id: 'ServerSentEvent' });

const notModified: ResponseDoc = { description: 'The copy the client has (If-None-Match matched the ETag) is current.' };

/**
 * Every route the API serves, as the OpenAPI document describes it. Adding a route: one entry here
 * (the OpenAPI test fails while a route the app serves has none).
 */
export const API_ROUTES: readonly RouteDoc[] = [
  {
    method: 'get',
    path: '/healthz',
    operationId: 'getHealth',
    summary: 'Liveness: answers while the process serves requests; touches no dependency.',
    tag: 'operations',
    responses: { 200: { description: 'Alive.', body: { mediaType: JSON_TYPE, schema: HealthSchema } } },
    problems: [],
  },
  {
    method: 'post',
    path: '/jobs',
    operationId: 'submitJob',
    summary: 'Submit a job: it is recorded QUEUED and enqueued (with `then`: the first step of a pipeline).',
    description:
      "The payload is checked against its job type's schema (the `*Payload` components) at submit time. A few rules are " +
      'checked only by the API: those a JSON Schema cannot state (e.g. `claude_chat` takes `prompt` or `messages`, not both) ' +
      'and those that depend on the deployment (the allowed models, the enabled tools). With `then`, the submission is a ' +
      'pipeline (see POST /pipelines) whose first job is answered; its `webhook` applies to every job of the chain.',
    tag: 'jobs',
    requestHeaders: {
      'Idempotency-Key': {
        description:
          'IETF httpapi-idempotency-key-header: a quoted string (1–255 printable ASCII characters) unique to this submission. ' +
          'A repeat with the same key and the same body within 24 h creates nothing and answers 200 with the job the first ' +
          'created; the same key with another body is a 422. Keys are per tenant, one space for POST /jobs and POST /pipelines. ' +
          'With `then`, the pipeline is recorded once per key and a repeat answers 200 with its first job.',
        schema: z.string(),
      },
    },
    body: { mediaType: JSON_TYPE, schema: { component: 'JobSubmission' } },
    responses: {
      200: {
        description: 'A repeat of an earlier submission with the same Idempotency-Key: the job it created, as it is now.',
        body: { mediaType: JSON_TYPE, schema: JobViewSchema },
        headers: {
          Location: { description: "The job's URL path, `/jobs/{id}`.", schema: z.string() },
          'Idempotent-Replayed': { description: '`true`: nothing was created by this request.', schema: z.literal('true') },
        },
      },
      202: {
        description: 'Accepted: the job is queued.',
        body: { mediaType: JSON_TYPE, schema: JobViewSchema },
        headers: {
          Location: { description: "The job's URL path, `/jobs/{id}`.", schema: z.string() },
          'RateLimit-Policy': {
            description: 'The tenant\'s submission-rate policy, when it has one: `"submit";q=<limit>;w=<seconds>`.',
            schema: z.string(),
          },
          RateLimit: { description: 'What is left of it: `"submit";r=<submissions left>;t=<seconds until full>`.', schema: z.string() },
        },
      },
    },
    scope: 'submit',
    problems: [400, 413, 415, 422, 429, 503],
  },
  {
    method: 'get',
    path: '/jobs',
    operationId: 'listJobs',
    summary: 'List jobs, newest first, a page at a time.',
    tag: 'jobs',
    query: ListJobsQuerySchema,
    responses: { 200: { description: 'One page of jobs.', body: { mediaType: JSON_TYPE, schema: JobListSchema } } },
    scope: 'read',
    problems: [400, 503],
  },
  {
    method: 'get',
    path: '/jobs/{id}',
    operationId: 'getJob',
    summary: 'One job, with its attempts, and its result once it has SUCCEEDED.',
    tag: 'jobs',
    pathParams: jobId,
    responses: { 200: { description: 'The job.', body: { mediaType: JSON_TYPE, schema: JobViewSchema } } },
    scope: 'read',
    problems: [404, 503],
  },
  {
    method: 'post',
    path: '/jobs/{id}/cancel',
    operationId: 'cancelJob',
    summary: 'Cancel a job that has not finished; a running worker is stopped by the dispatcher.',
    tag: 'jobs',
    pathParams: jobId,
    responses: { 202: { description: 'The job, now CANCELLED.', body: { mediaType: JSON_TYPE, schema: JobViewSchema } } },
    scope: 'cancel',
    problems: [404, 409, 503],
  },
  {
    method: 'get',
    path: '/jobs/{id}/events',
    operationId: 'streamJobEvents',
    summary: "The job's live events as Server-Sent Events, until it ends.",
    description:
      'Each event has `id` (its sequence number), `event` (its type) and `data` (JSON: `seq`, `at`, `attempt`, `type`, ' +
      `\`data\`). Event types: ${JOB_EVENT_TYPES.map((t) => `\`${t}\``).join(', ')}. ` +
      'The stream ends with an `end` event whose data is `{"status": <terminal status>}`, sent after every event ' +
      'the worker wrote; an `error` event means the stream was cut short: reconnect with Last-Event-ID.',
    tag: 'jobs',
    pathParams: jobId,
    requestHeaders: {
      'Last-Event-ID': {
        description: 'Resume after this sequence number (what EventSource sends on reconnecting); wins over `after`.',
        schema: z.string().regex(/^\d{1,15}$/),
      },
    },
    query: z.object({
      after: z
        .string()
        .regex(/^\d{1,15}$/)
        .optional()
        .describe('Resume after this sequence number, for clients that cannot set Last-Event-ID.'),
      stream_token: z
        .string()
        .optional()
        .describe(
          'Instead of an Authorization header (EventSource cannot send one): a token from POST /jobs/{id}/stream-token, valid 60 s.',
        ),
    }),
    responses: { 200: { description: 'The event stream.', body: { mediaType: 'text/event-stream', schema: ServerSentEventSchema } } },
    scope: 'read',
    problems: [400, 404, 503],
  },
  {
    method: 'post',
    path: '/jobs/{id}/stream-token',
    operationId: 'createStreamToken',
    summary: "A short-lived token that opens this job's event stream, for clients that cannot send headers (EventSource).",
    description:
      'The token is valid for 60 seconds, for this job only, and dies with the key that asked for it. With auth off ' +
      '`stream_token` is null and the stream needs nothing.',
    tag: 'jobs',
    pathParams: jobId,
    responses: { 200: { description: 'The token and the URL to open.', body: { mediaType: JSON_TYPE, schema: StreamTokenSchema } } },
    scope: 'read',
    problems: [404, 503],
  },
  ...PIPELINE_ROUTES,
  ...WEBHOOK_DELIVERY_ROUTES,
  {
    method: 'get',
    path: '/usage',
    operationId: 'getUsage',
    summary: 'Claude usage (calls, tokens, USD) of the jobs created in a window, grouped by tenant, job type or model.',
    tag: 'operations',
    query: UsageQuerySchema,
    responses: { 200: { description: 'The report.', body: { mediaType: JSON_TYPE, schema: UsageReportSchema } } },
    scope: 'read',
    problems: [400, 503],
  },
  ...WEBHOOK_ENDPOINT_ROUTES,
  {
    method: 'get',
    path: '/stats/timeseries',
    operationId: 'getStatsTimeseries',
    summary: 'The last hours for the dashboard’s charts: jobs ended per minute by outcome, queue depth by priority, spend per hour.',
    tag: 'operations',
    query: TimeseriesQuerySchema,
    responses: { 200: { description: 'The series.', body: { mediaType: JSON_TYPE, schema: TimeseriesSchema } } },
    scope: 'read',
    problems: [400, 503],
  },
  {
    method: 'get',
    path: '/stats',
    operationId: 'getStats',
    summary: 'What the dashboard shows at a glance: queue depth per priority, from the last sample.',
    tag: 'operations',
    responses: { 200: { description: 'The last sample.', body: { mediaType: JSON_TYPE, schema: StatsSchema } } },
    problems: [],
  },
  {
    method: 'get',
    path: '/metrics',
    operationId: 'getMetrics',
    summary: "The API's metrics in the Prometheus text format.",
    tag: 'operations',
    responses: { 200: text('text/plain', 'Prometheus text exposition format 0.0.4.') },
    problems: [],
  },
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'getOpenApiDocument',
    summary: 'This document.',
    tag: 'operations',
    responses: {
      200: { description: 'The OpenAPI 3.1 document.', body: { mediaType: JSON_TYPE, schema: z.looseObject({ openapi: z.string() }) } },
    },
    problems: [],
  },
  {
    method: 'get',
    path: '/',
    operationId: 'getDashboard',
    summary: 'The dashboard page (HTML).',
    tag: 'dashboard',
    responses: { 200: text('text/html', 'The page.'), 304: notModified },
    problems: [],
  },
  {
    method: 'get',
    path: '/dashboard',
    operationId: 'redirectToDashboard',
    summary: 'Redirects to the dashboard at `/`.',
    tag: 'dashboard',
    responses: { 302: { description: 'See `/`.', headers: { Location: { description: '`/`', schema: z.string() } } } },
    problems: [],
  },
  {
    method: 'get',
    path: '/dashboard/app.js',
    operationId: 'getDashboardScript',
    summary: "The dashboard's script.",
    tag: 'dashboard',
    query: z.object({ v: z.string().optional().describe('Content hash: with the current one the answer is cacheable for a year.') }),
    responses: { 200: text('text/javascript', 'The script.'), 304: notModified },
    problems: [],
  },
  {
    method: 'get',
    path: '/dashboard/auth.js',
    operationId: 'getDashboardAuthScript',
    summary: "The dashboard's API key handling (asks for a key when the API requires one).",
    tag: 'dashboard',
    responses: { 200: text('text/javascript', 'The script.'), 304: notModified },
    problems: [],
  },
  {
    method: 'get',
    path: '/dashboard/style.css',
    operationId: 'getDashboardStyle',
    summary: "The dashboard's style sheet.",
    tag: 'dashboard',
    query: z.object({ v: z.string().optional().describe('Content hash: with the current one the answer is cacheable for a year.') }),
    responses: { 200: text('text/css', 'The style sheet.'), 304: notModified },
    problems: [],
  },
];
