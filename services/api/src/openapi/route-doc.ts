import type { z } from 'zod';

/**
 * What the OpenAPI document says about one route. Schemas are the zod schemas the route validates
 * with or shapes its answer by; a schema with `.meta({ id })` becomes a named component.
 */
export interface RouteDoc {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** The OpenAPI path template: the Koa route with `:id` written `{id}`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  pathParams?: Readonly<Record<string, ParamDoc>>;
  /** Each property of this object is one query parameter. */
  query?: z.ZodObject;
  requestHeaders?: Readonly<Record<string, ParamDoc>>;
  body?: BodyDoc;
  responses: Readonly<Record<number, ResponseDoc>>;
  /** Error statuses answered with a Problem (application/problem+json); 500 is added to every route. */
  problems: readonly number[];
  /** The API key scope the route needs when auth is on (401 and 403 are then added). None: public. */
  scope?: 'submit' | 'read' | 'cancel' | 'admin';
}

export interface ParamDoc {
  description: string;
  schema: z.ZodType;
  /** Default: true for path parameters, false otherwise. */
  required?: boolean;
}

export interface BodyDoc {
  mediaType: string;
  /** A zod schema, or the name of a component the document builds itself (e.g. `JobSubmission`). */
  schema: z.ZodType | { component: string };
}

export interface ResponseDoc {
  description: string;
  body?: BodyDoc;
  headers?: Readonly<Record<string, ParamDoc>>;
}
