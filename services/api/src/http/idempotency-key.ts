import { createHash } from 'node:crypto';
import type { Context } from 'koa';
import { ValidationError } from '@agent-runner/shared/domain/errors.ts';

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

/** Room for a UUID, a ULID or a client's own scheme; DynamoDB keys the record by it (2,048 bytes at most). */
const MAX_KEY_LENGTH = 255;
/** RFC 8941 §3.3.3 sf-string: printable ASCII in quotes, `\"` and `\\` escaped. */
const SF_STRING = /^"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"$/;
/** What clients that skip the quotes send (a UUID, a token): printable ASCII without spaces, quotes or backslashes. */
const BARE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/**
 * The request's Idempotency-Key (IETF httpapi-idempotency-key-header: an sf-string, e.g.
 * `"8e03978e-…"`; a bare token is taken as well), null when there is none, 400 when malformed.
 */
export function idempotencyKeyOf(ctx: Context): string | null {
  const header = ctx.get(IDEMPOTENCY_KEY_HEADER).trim();
  if (header === '') return null;
  const quoted = SF_STRING.exec(header);
  const key = quoted ? quoted[1]!.replace(/\\(["\\])/g, '$1') : BARE_TOKEN.test(header) ? header : null;
  if (key === null || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new ValidationError(`${IDEMPOTENCY_KEY_HEADER} must be a quoted string of 1 to ${MAX_KEY_LENGTH} printable ASCII characters`, {
      problem: 'invalid-idempotency-key',
      errors: [{ path: IDEMPOTENCY_KEY_HEADER, message: `1 to ${MAX_KEY_LENGTH} printable ASCII characters` }],
    });
  }
  return key;
}

/**
 * SHA-256 (hex) of `body` as canonical JSON: object keys sorted, no insignificant whitespace. Two
 * bodies that differ only in key order or spacing are the same request; anything else is not.
 */
export function requestHashOf(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}
