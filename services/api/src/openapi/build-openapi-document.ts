import { STATUS_CODES } from 'node:http';
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { ProblemSchema } from '../schemas/problem.ts';
import type { BodyDoc, ParamDoc, ResponseDoc, RouteDoc } from './route-doc.ts';

/** A JSON Schema (2020-12), or any other part of the document, as plain JSON. */
export type JsonSchema = { [key: string]: unknown };

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  tags: { name: string }[];
  paths: Record<string, Record<string, JsonSchema>>;
  components: { schemas: Record<string, JsonSchema>; headers: Record<string, JsonSchema>; securitySchemes: Record<string, JsonSchema> };
}

/** One job type's payload: it becomes the component `<JobType>Payload` (`claude_chat` → `ClaudeChatPayload`). */
export interface JobPayloadDoc {
  jobType: string;
  description: string;
  schema: z.ZodType;
}

export interface OpenApiOptions {
  title: string;
  version: string;
  description: string;
  routes: readonly RouteDoc[];
  /**
   * The `JobSubmission` component: `request` (the body's shape) with `payload` checked against the
   * schema of the body's `job_type` — a oneOf on `job_type`, one branch per job type.
   */
  jobSubmission: { request: z.ZodType; payloads: readonly JobPayloadDoc[] };
}

type Io = 'input' | 'output';

const COMPONENTS = '#/components/schemas/';
/** Where z.toJSONSchema puts named schemas that a registry's schemas use but the registry lacks. */
const SHARED = `${COMPONENTS}__shared#/$defs/`;
const PROBLEM_TYPE = 'application/problem+json';

const PROBLEM_WHEN: Readonly<Record<number, string>> = {
  400: 'The request is invalid; `errors` names each bad field.',
  401: 'No API key, or one that is unknown or revoked (when AGENT_RUNNER_AUTH=required). Answered with `WWW-Authenticate: Bearer`.',
  403: 'The API key lacks the scope this needs, or names another tenant without being an admin key.',
  404: 'No such job (or nothing at this path).',
  409: "The job's state does not allow this.",
  413: 'The body is larger than AGENT_RUNNER_MAX_PAYLOAD_BYTES.',
  415: 'The body is not UTF-8 `application/json`.',
  422: 'The Idempotency-Key was used for a different request body.',
  429:
    "A quota of the job's tenant refuses it: `rate-limited` (submission rate), `too-many-queued` (queued-job cap) or " +
    '`budget-exhausted` (daily Claude budget, renewed at 00:00 UTC). Nothing was recorded. Retry after `Retry-After` seconds.',
  431: 'The request line and headers are over 16 KB (a long query string counts): Node refuses them before any route runs.',
  500: 'Unexpected: the cause is logged under the request id, never sent.',
  503: 'A store or queue the API depends on is unavailable; nothing was changed. Retry after `Retry-After` seconds.',
};

/**
 * The OpenAPI 3.1 document for `routes`. Schemas are converted from the zod schemas the routes
 * use: requests as zod reads them (`io: 'input'`: fields with defaults are optional), answers as
 * zod writes them (`io: 'output'`). Throws when a schema cannot be named cleanly, so a schema
 * change that would spoil the document fails the OpenAPI test rather than shipping.
 */
export function buildOpenApiDocument(options: OpenApiOptions): OpenApiDocument {
  const named: Record<Io, z.core.$ZodRegistry<{ id: string }>> = { input: z.registry(), output: z.registry() };
  const refTo = (schema: z.ZodType, io: Io): JsonSchema => {
    const id = idOf(schema);
    if (id === undefined) return inlineSchema(schema, io);
    if (!named[io].has(schema)) named[io].add(schema, { id });
    return { $ref: COMPONENTS + id };
  };
  const bodyOf = (body: BodyDoc, io: Io): JsonSchema => ({
    [body.mediaType]: { schema: 'component' in body.schema ? { $ref: COMPONENTS + body.schema.component } : refTo(body.schema, io) },
  });

  const submission = options.jobSubmission;
  const submissionRef = refTo(submission.request, 'input');
  const payloadDescriptions = new Map<string, string>();
  const payloadBranches = submission.payloads.map((p) => {
    const id = `${pascalCase(p.jobType)}Payload`;
    named.input.add(p.schema, { id });
    payloadDescriptions.set(id, `The payload of \`${p.jobType}\` jobs: ${p.description}`);
    return { type: 'object', properties: { job_type: { const: p.jobType }, payload: { $ref: COMPONENTS + id } }, required: ['job_type'] };
  });
  refTo(ProblemSchema, 'output');

  const paths: OpenApiDocument['paths'] = {};
  for (const route of options.routes) {
    const operation: JsonSchema = {
      operationId: route.operationId,
      summary: route.summary,
      ...(route.description !== undefined && { description: route.description }),
      tags: [route.tag],
    };
    const parameters = [
      ...paramsIn('path', route.pathParams),
      ...(route.query ? queryParams(route.query) : []),
      ...paramsIn('header', route.requestHeaders),
    ];
    if (parameters.length > 0) operation.parameters = parameters;
    if (route.body) operation.requestBody = { required: true, content: bodyOf(route.body, 'input') };
    const responses: JsonSchema = {};
    for (const [status, response] of Object.entries(route.responses)) responses[status] = responseOf(response, (b) => bodyOf(b, 'output'));
    const authProblems = route.scope ? [401, 403] : [];
    for (const status of [...route.problems, ...authProblems, 431, 500].sort((a, b) => a - b))
      responses[String(status)] = problemResponse(status);
    operation.responses = responses;
    // Either a key, or (auth off) nothing: `{}` in the list says the route also works without one.
    if (route.scope) operation.security = [{ bearerAuth: [] }, {}];
    const pathItem = paths[route.path] ?? {};
    pathItem[route.method] = operation;
    paths[route.path] = pathItem;
  }

  const schemas = mergeComponents(convertComponents(named.input, 'input'), convertComponents(named.output, 'output'));
  for (const [id, description] of payloadDescriptions) schemas[id] = { description, ...schemas[id] };
  schemas.JobSubmission = {
    description: `A ${idOf(submission.request) ?? 'job submission'} whose \`payload\` is checked against the schema of its \`job_type\`.`,
    allOf: [submissionRef, { oneOf: payloadBranches }],
  };

  return {
    openapi: '3.1.0',
    info: { title: options.title, version: options.version, description: options.description },
    tags: [...new Set(options.routes.map((r) => r.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas,
      headers: {
        RequestId: {
          description: "The request's id: the caller's X-Request-Id if it is a plain token, else a new UUID.",
          schema: { type: 'string' },
        },
      },
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description:
            'An API key (`agent-runner keys create`), required when AGENT_RUNNER_AUTH=required. Each route needs one scope: submit, read or cancel (admin: all, every tenant).',
        },
      },
    },
  };
}

function responseOf(response: ResponseDoc, bodyOf: (body: BodyDoc) => JsonSchema): JsonSchema {
  return {
    description: response.description,
    headers: { 'X-Request-Id': { $ref: '#/components/headers/RequestId' }, ...headersOf(response.headers) },
    ...(response.body && { content: bodyOf(response.body) }),
  };
}

function problemResponse(status: number): JsonSchema {
  const retryAfter = { 'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer' } } };
  const rateLimit = {
    'RateLimit-Policy': {
      description: 'The submission-rate policy (draft-ietf-httpapi-ratelimit-headers), e.g. `"submit";q=20;w=1`, when the tenant has one.',
      schema: { type: 'string' },
    },
    RateLimit: {
      description: 'What is left of it, e.g. `"submit";r=0;t=1` (r: submissions left, t: seconds until full).',
      schema: { type: 'string' },
    },
  };
  const wwwAuthenticate = { 'WWW-Authenticate': { description: '`Bearer realm="agent-runner"`.', schema: { type: 'string' } } };
  const headers = status === 503 ? retryAfter : status === 429 ? { ...retryAfter, ...rateLimit } : status === 401 ? wwwAuthenticate : {};
  return {
    description: PROBLEM_WHEN[status] ?? STATUS_CODES[status] ?? 'Error',
    headers: { 'X-Request-Id': { $ref: '#/components/headers/RequestId' }, ...headers },
    content: { [PROBLEM_TYPE]: { schema: { $ref: `${COMPONENTS}Problem` } } },
  };
}

function headersOf(headers: Readonly<Record<string, ParamDoc>> | undefined): JsonSchema {
  return Object.fromEntries(
    Object.entries(headers ?? {}).map(([name, h]) => [name, { description: h.description, schema: inlineSchema(h.schema, 'output') }]),
  );
}

function paramsIn(where: 'path' | 'header', params: Readonly<Record<string, ParamDoc>> | undefined): JsonSchema[] {
  return Object.entries(params ?? {}).map(([name, p]) => ({
    name,
    in: where,
    required: p.required ?? where === 'path',
    description: p.description,
    schema: inlineSchema(p.schema, 'input'),
  }));
}

/** Each property of the query object as a parameter; its description moves up to the parameter. */
function queryParams(query: z.ZodObject): JsonSchema[] {
  // A copy without the object's id, so it converts inline rather than as a $ref.
  const converted = inlineSchema(z.object(query.shape), 'input');
  const required = new Set((converted.required as string[] | undefined) ?? []);
  const properties = (converted.properties ?? {}) as Record<string, JsonSchema>;
  return Object.entries(properties).map(([name, { description, ...schema }]) => ({
    name,
    in: 'query',
    required: required.has(name),
    ...(typeof description === 'string' && { description }),
    schema,
  }));
}

function idOf(schema: z.ZodType): string | undefined {
  const id = z.globalRegistry.get(schema)?.id;
  return typeof id === 'string' ? id : undefined;
}

/** A schema without a name, written where it is used. It may not contain named schemas. */
function inlineSchema(schema: z.ZodType, io: Io): JsonSchema {
  const { $schema: _, ...converted } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
  if ('$defs' in converted)
    throw new Error(
      `an unnamed schema uses named or recursive ones (${Object.keys(converted.$defs as object).join(', ')}): give it .meta({ id })`,
    );
  return converted;
}

/** The registry's schemas, and the named schemas they use, as components keyed by id. */
function convertComponents(registry: z.core.$ZodRegistry<{ id: string }>, io: Io): Record<string, JsonSchema> {
  const { schemas } = z.toJSONSchema(registry, { target: 'draft-2020-12', io, unrepresentable: 'any', uri: (id) => COMPONENTS + id });
  // Refs into `__shared` point at what becomes a component of the same name.
  const converted = JSON.parse(JSON.stringify(schemas).replaceAll(SHARED, COMPONENTS)) as Record<string, JsonSchema>;
  const { __shared: shared, ...top } = converted;
  const all = { ...top, ...((shared?.$defs ?? {}) as Record<string, JsonSchema>) };
  const components: Record<string, JsonSchema> = {};
  for (const [id, { $schema: _s, $id: _i, ...schema }] of Object.entries(all)) {
    // zod names a recursive schema without an id `schema0`, `schema1`, …: meaningless in a document.
    if (/^_*schema\d+$/.test(id)) throw new Error(`a recursive schema has no name (${io} ${id}): give it .meta({ id })`);
    components[id] = schema;
  }
  return components;
}

/** Requests and answers share some components (JsonValue); a name must mean one schema in both. */
function mergeComponents(input: Record<string, JsonSchema>, output: Record<string, JsonSchema>): Record<string, JsonSchema> {
  for (const [id, schema] of Object.entries(input)) {
    if (id in output && !isDeepStrictEqual(schema, output[id])) {
      throw new Error(`component ${id} differs between requests and answers (a default or transform?): name the two uses apart`);
    }
  }
  return Object.fromEntries(Object.entries({ ...output, ...input }).sort(([a], [b]) => a.localeCompare(b)));
}

function pascalCase(jobType: string): string {
  return jobType
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}
