import { readFileSync } from 'node:fs';
import { JOB_TYPE_NAMES, JOB_TYPES } from '@agent-runner/shared/job-types/catalogue.ts';
import { SubmitJobRequestSchema } from '../schemas/submit-job-request.ts';
import { API_ROUTES } from './api-routes.ts';
import { buildOpenApiDocument, type JobPayloadDoc, type OpenApiDocument } from './build-openapi-document.ts';

/** The API's OpenAPI document: its routes, and a payload component per registered job type. */
export function apiOpenApiDocument(): OpenApiDocument {
  return buildOpenApiDocument({
    title: 'agent-runner API',
    version: releaseVersion(),
    description:
      'Submit AI agent jobs, follow them, cancel them. Every error is an RFC 9457 problem (`application/problem+json`); ' +
      'every answer carries X-Request-Id (send your own to correlate logs).',
    routes: API_ROUTES,
    jobSubmission: { request: SubmitJobRequestSchema, payloads: jobPayloads() },
  });
}

function jobPayloads(): JobPayloadDoc[] {
  return JOB_TYPE_NAMES.map((jobType) => ({
    jobType,
    description: JOB_TYPES[jobType].description,
    schema: JOB_TYPES[jobType].payloadSchema,
  }));
}

/** The root package.json's version: the one version the whole repository is released under. */
function releaseVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  if (typeof pkg.version !== 'string') throw new Error('the root package.json has no version');
  return pkg.version;
}
