import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { Router } from '@koa/router';
import type { z } from 'zod';
import { createApp } from '@agent-runner/api/app.ts';
import type { Stats } from '@agent-runner/api/dashboard/stats-router.ts';
import type { StatsSchema } from '@agent-runner/api/schemas/stats.ts';
import { systemClock, ulid } from '@agent-runner/shared/domain/ids.ts';
import { createLogger } from '@agent-runner/shared/observability/logger.ts';
import { PROBLEM_JSON, postJson, startApiUnderTest, type ApiUnderTest } from './api-fixture.ts';

// GET /stats is shaped by a TypeScript type, documented by StatsSchema: each must fit the other.
const statsFitsSchema = (stats: Stats): z.output<typeof StatsSchema> => stats;
const schemaFitsStats = (stats: z.output<typeof StatsSchema>): Stats => stats;
void [statsFitsSchema, schemaFitsStats];

// ajv-formats is CommonJS: under nodenext its default import is the module, whose default is the plugin.
const addFormats = (addFormatsModule as unknown as { default: typeof addFormatsModule.default }).default ?? addFormatsModule;

interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }> }>>;
  components: { schemas: Record<string, unknown> };
}

/** The base URI the document is known to ajv by, so `#/components/schemas/X` refs resolve inside it. */
const DOC_ID = 'urn:agent-runner:openapi';

/** `METHOD /path` for every route the Koa app's routers hold, read off the routers themselves. */
function servedOperations(api: ApiUnderTest): string[] {
  const app = createApp({
    config: api.config,
    backend: api.backend,
    clock: systemClock,
    newId: ulid,
    log: createLogger('openapi-test', 'silent'),
  });
  const operations = new Set<string>();
  for (const middleware of app.middleware) {
    const router = (middleware as { router?: Router }).router;
    if (!router) continue;
    for (const layer of router.stack) {
      assert.equal(typeof layer.path, 'string', `a route path that is a RegExp cannot be documented: ${String(layer.path)}`);
      const path = String(layer.path).replace(/:(\w+)/g, '{$1}');
      // koa-router answers HEAD wherever it answers GET; the document lists the GET.
      for (const method of layer.methods.filter((m) => m !== 'HEAD')) operations.add(`${method} ${path}`);
    }
  }
  return [...operations].sort();
}

describe('GET /openapi.json', () => {
  let api: ApiUnderTest;
  let doc: OpenApiDocument;
  let ajv: Ajv2020;
  beforeAll(async () => {
    api = await startApiUnderTest();
    const res = await fetch(`${api.url}/openapi.json`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    doc = (await res.json()) as OpenApiDocument;
    ajv = new Ajv2020({ allErrors: true });
    addFormats(ajv);
    // The document's own keywords, so ajv (strict) takes the document as a schema holding the components.
    for (const keyword of ['openapi', 'info', 'tags', 'paths', 'components']) ajv.addKeyword(keyword);
    ajv.addSchema(doc, DOC_ID);
  });
  afterAll(() => api.stop());

  /** The component `name`, as the document defines it. */
  function component(name: string): ValidateFunction {
    assert.ok(name in doc.components.schemas, `no component ${name}`);
    return ajv.compile({ $ref: `${DOC_ID}#/components/schemas/${name}` });
  }

  /** The schema the document gives for `method path` answering `status` with `mediaType`. */
  function responseSchema(method: string, path: string, status: number, mediaType = 'application/json'): ValidateFunction {
    const schema = doc.paths[path]?.[method]?.responses[String(status)]?.content?.[mediaType]?.schema;
    assert.ok(schema, `the document gives no ${mediaType} body for ${method} ${path} ${status}`);
    const ref = schema.$ref;
    return ajv.compile(typeof ref === 'string' ? { $ref: `${DOC_ID}${ref}` } : schema);
  }

  function assertValid(validate: ValidateFunction, value: unknown, what: string): void {
    assert.ok(validate(value), `${what}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(value)}`);
  }

  test('is a valid OpenAPI 3.1 document (the official schema) whose refs all resolve, versioned as the repository', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc) as unknown as Record<string, unknown>);
    assert.ok(result.valid, `invalid OpenAPI document:\n${JSON.stringify(result.errors, null, 2)}`);
    assert.equal(validator.version, '3.1');
    assert.doesNotThrow(() => validator.resolveRefs());
    const { version } = (await import('../../../package.json', { with: { type: 'json' } })).default;
    assert.equal(doc.info.version, version);
  });

  test('documents exactly the routes the app serves, each with its method', () => {
    const served = servedOperations(api);
    assert.ok(served.includes('POST /jobs') && served.includes('GET /jobs/{id}/events'), served.join(', '));
    const documented = Object.entries(doc.paths)
      .flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    assert.deepEqual(documented, served);
  });

  const submissions: { name: string; body: Record<string, unknown>; accepted: boolean }[] = [
    { name: 'the minimal body', body: { job_type: 'echo', payload: { message: 'hi' } }, accepted: true },
    {
      name: 'every option',
      body: {
        job_type: 'echo',
        payload: { message: 'hi' },
        priority: 'high',
        ordering_key: 'k-1',
        tenant: 'acme',
        max_attempts: 3,
        timeout_seconds: 60,
      },
      accepted: true,
    },
    { name: 'a null ordering_key', body: { job_type: 'sleep', payload: { ms: 0 }, ordering_key: null }, accepted: true },
    { name: 'an unknown field', body: { job_type: 'echo', payload: { message: 'hi' }, priorty: 'high' }, accepted: false },
    { name: 'no payload', body: { job_type: 'echo' }, accepted: false },
    { name: 'an unknown priority', body: { job_type: 'echo', payload: { message: 'hi' }, priority: 'urgent' }, accepted: false },
    { name: 'max_attempts 0', body: { job_type: 'echo', payload: { message: 'hi' }, max_attempts: 0 }, accepted: false },
    { name: 'a tenant with a space', body: { job_type: 'echo', payload: { message: 'hi' }, tenant: 'a b' }, accepted: false },
  ];

  test('SubmitJobRequest in the document accepts and refuses the same bodies as POST /jobs', async () => {
    const validate = component('SubmitJobRequest');
    for (const { name, body, accepted } of submissions) {
      assert.equal(validate(body), accepted, `document on ${name}: ${ajv.errorsText(validate.errors)}`);
      const res = await postJson(`${api.url}/jobs`, body);
      assert.equal(res.status, accepted ? 202 : 400, `API on ${name}: ${await res.text()}`);
    }
  });

  test('JobSubmission checks the payload against its job type as POST /jobs does', async () => {
    const validate = component('JobSubmission');
    const cases: { name: string; body: Record<string, unknown>; accepted: boolean; problem?: string }[] = [
      { name: 'an echo payload', body: { job_type: 'echo', payload: { message: 'hi', fail: 'fatal', sleep_ms: 0 } }, accepted: true },
      {
        name: 'an echo message that is a number',
        body: { job_type: 'echo', payload: { message: 5 } },
        accepted: false,
        problem: 'invalid-payload',
      },
      {
        name: 'an unknown payload field',
        body: { job_type: 'echo', payload: { message: 'hi', loud: true } },
        accepted: false,
        problem: 'invalid-payload',
      },
      { name: 'a negative sleep', body: { job_type: 'sleep', payload: { ms: -1 } }, accepted: false, problem: 'invalid-payload' },
      { name: 'an unknown job type', body: { job_type: 'teleport', payload: {} }, accepted: false, problem: 'unknown-job-type' },
    ];
    for (const { name, body, accepted, problem } of cases) {
      assert.equal(validate(body), accepted, `document on ${name}: ${ajv.errorsText(validate.errors)}`);
      const res = await postJson(`${api.url}/jobs`, body);
      const answer = (await res.json()) as { type?: string };
      assert.equal(res.status, accepted ? 202 : 400, `API on ${name}: ${JSON.stringify(answer)}`);
      if (problem) assert.equal(answer.type, `urn:agent-runner:problem:${problem}`);
    }
  });

  test('answers fit the schemas the document gives for them', async () => {
    const submitted = await postJson(`${api.url}/jobs`, { job_type: 'echo', payload: { message: 'shape' } });
    const job = (await submitted.json()) as { job_id: string };
    assertValid(responseSchema('post', '/jobs', 202), job, 'POST /jobs 202');

    const gets: [path: string, template: string][] = [
      ['/healthz', '/healthz'],
      ['/jobs?limit=2', '/jobs'],
      [`/jobs/${job.job_id}`, '/jobs/{id}'],
      ['/stats', '/stats'],
      ['/usage', '/usage'],
    ];
    for (const [path, template] of gets) {
      const res = await fetch(`${api.url}${path}`);
      assert.equal(res.status, 200, path);
      assertValid(responseSchema('get', template, 200), await res.json(), `GET ${path}`);
    }

    const cancelled = await fetch(`${api.url}/jobs/${job.job_id}/cancel`, { method: 'POST' });
    assert.equal(cancelled.status, 202);
    assertValid(responseSchema('post', '/jobs/{id}/cancel', 202), await cancelled.json(), 'POST cancel 202');

    const again = await fetch(`${api.url}/jobs/${job.job_id}/cancel`, { method: 'POST' });
    assert.equal(again.status, 409);
    assert.match(again.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assertValid(responseSchema('post', '/jobs/{id}/cancel', 409, PROBLEM_JSON), await again.json(), 'POST cancel 409');

    const invalid = await fetch(`${api.url}/jobs?limit=1000`);
    assert.equal(invalid.status, 400);
    assertValid(responseSchema('get', '/jobs', 400, PROBLEM_JSON), await invalid.json(), 'GET /jobs 400');
  });
});
