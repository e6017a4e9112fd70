import { z } from 'zod';

export const FieldErrorSchema = z.object({
  path: z.string().describe('Where in the request, e.g. `payload.message` or `limit`.'),
  message: z.string(),
});

export type FieldError = z.output<typeof FieldErrorSchema>;

/** RFC 9457 problem details, served as `application/problem+json` for every error. */
export const ProblemSchema = z
  .object({
    type: z.string().describe('A URI naming the kind of problem; `about:blank` when the status says it all.'),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    instance: z.string().describe('The request path.'),
    request_id: z.string().describe('Also in the X-Request-Id response header; quote it when reporting a 5xx.'),
    errors: z.array(FieldErrorSchema).max(20).optional().describe('One entry per invalid field, at most 20.'),
    more_errors: z.int().min(1).optional().describe('How many invalid fields there are beyond those in `errors`.'),
  })
  .meta({ id: 'Problem' });

export type Problem = z.output<typeof ProblemSchema>;
