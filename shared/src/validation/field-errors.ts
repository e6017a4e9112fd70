import type { z } from 'zod';

/** One invalid field: where in the request (`payload.message`, `limit`) and what is wrong. */
export interface FieldError {
  path: string;
  message: string;
}

/**
 * A parse-level error map: a missing field says "required" rather than "expected string, received
 * undefined" (or, for a union such as a JSON value, a bare "Invalid input"). JSON has no undefined,
 * so undefined input always means absent. Other issues keep zod's message.
 */
export const REQUIRED_WHEN_MISSING = {
  error: (issue: { input?: unknown }) => (issue.input === undefined ? 'required' : undefined),
};

/**
 * zod issues as `{ path, message }` pairs a client can show next to its fields. Paths are dotted,
 * with indexes in brackets (`payload.items[2].name`); `prefix` places them in the request
 * (`payload` for a payload checked against its job type's schema).
 */
export function fieldErrors(issues: readonly z.core.$ZodIssue[], prefix: string | null = null): FieldError[] {
  return issues.flatMap((issue) => {
    const base = prefix === null ? issue.path : [prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: formatPath([...base, key]), message: 'unknown field' }));
    }
    return [{ path: formatPath(base), message: issue.message }];
  });
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(body)' : out;
}

/**
 * A problem lists at most this many field errors (and says how many more there are): a body with
 * 100,000 unknown keys would otherwise get a multi-megabyte answer that takes the event loop
 * tenths of a second to write.
 */
export const MAX_LISTED_ERRORS = 20;

/** The errors in one line, for a problem's `detail`: the first MAX_LISTED_ERRORS, and how many more. */
export function summarize(errors: readonly FieldError[]): string {
  const listed = errors
    .slice(0, MAX_LISTED_ERRORS)
    .map((e) => `${e.path}: ${e.message}`)
    .join('; ');
  const more = errors.length - MAX_LISTED_ERRORS;
  return more > 0 ? `${listed}; and ${more} more` : listed;
}
