import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ApiKeyRecord } from '@agent-runner/shared/ports/api-keys.ts';

/** How long a stream token opens a job's event stream: long enough to connect, short enough to leak little. */
export const STREAM_TOKEN_TTL_SECONDS = 60;

/**
 * EventSource cannot send an Authorization header, and a key in a URL ends up in browser history
 * and proxy logs. So an authenticated call hands out a token that opens one job's event stream, for
 * STREAM_TOKEN_TTL_SECONDS: `<keyId>.<jobId>.<expires, epoch s>.<HMAC-SHA256>`. The HMAC is keyed
 * with the key's stored hash, which only the server reads, so any API instance can check a token
 * without a shared secret, and revoking the key voids its tokens too.
 */
export function signStreamToken(key: Pick<ApiKeyRecord, 'keyId' | 'hash'>, jobId: string, expiresAtSeconds: number): string {
  const claims = `${key.keyId}.${jobId}.${expiresAtSeconds}`;
  return `${claims}.${mac(key.hash, claims)}`;
}

export interface StreamTokenClaims {
  keyId: string;
  jobId: string;
  expiresAtSeconds: number;
}

/** The claims of a well-formed token, not yet checked (its key is needed for that). */
export function readStreamToken(token: string): (StreamTokenClaims & { token: string }) | null {
  const match = /^([0-9a-f]{16})\.([0-9A-HJKMNP-TV-Z]{26})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return null;
  return { keyId: match[1]!, jobId: match[2]!, expiresAtSeconds: Number(match[3]), token };
}

/** Whether the token was signed with this key, for this job, and has not expired at `nowSeconds`. */
export function streamTokenIsValid(token: string, key: Pick<ApiKeyRecord, 'keyId' | 'hash'>, jobId: string, nowSeconds: number): boolean {
  const claims = readStreamToken(token);
  if (!claims || claims.keyId !== key.keyId || claims.jobId !== jobId || claims.expiresAtSeconds <= nowSeconds) return false;
  const expected = Buffer.from(signStreamToken(key, jobId, claims.expiresAtSeconds));
  const actual = Buffer.from(token);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

function mac(hash: string, claims: string): string {
  return createHmac('sha256', Buffer.from(hash, 'hex')).update(`agent-runner stream token|${claims}`).digest('base64url');
}
