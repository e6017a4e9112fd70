import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ApiKeyRecord } from '@agent-runner/shared/ports/api-keys.ts';

/** What a stream token opens: a job's event stream or a pipeline's. */
export type StreamResource = 'job' | 'pipeline';

/** How long a stream token opens a job's event stream: long enough to connect, short enough to leak little. */
export const STREAM_TOKEN_TTL_SECONDS = 60;

/**
 * EventSource cannot send an Authorization header, and a key in a URL ends up in browser history
 * and proxy logs. So an authenticated call hands out a token that opens one job's event stream, for
 * STREAM_TOKEN_TTL_SECONDS: `<keyId>.<jobId>.<expires, epoch s>.<HMAC-SHA256>`. The HMAC is keyed
 * with the key's stored hash, which only the server reads, so any API instance can check a token
 * without a shared secret, and revoking the key voids its tokens too. A pipeline's token has the
 * same shape (its id in the job id's place); the resource is in the MAC's input, not the token, so
 * a job's token never opens a pipeline's stream or the reverse, and job tokens are unchanged.
 */
export function signStreamToken(
  key: Pick<ApiKeyRecord, 'keyId' | 'hash'>,
  id: string,
  expiresAtSeconds: number,
  resource: StreamResource = 'job',
): string {
  const claims = `${key.keyId}.${id}.${expiresAtSeconds}`;
  return `${claims}.${mac(key.hash, claims, resource)}`;
}

export interface StreamTokenClaims {
  keyId: string;
  /** The job's id, or the pipeline's for a pipeline's token. */
  jobId: string;
  expiresAtSeconds: number;
}

/** The claims of a well-formed token, not yet checked (its key is needed for that). */
export function readStreamToken(token: string): (StreamTokenClaims & { token: string }) | null {
  const match = /^([0-9a-f]{16})\.([0-9A-HJKMNP-TV-Z]{26})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return null;
  return { keyId: match[1]!, jobId: match[2]!, expiresAtSeconds: Number(match[3]), token };
}

/** Whether the token was signed with this key, for this job (or pipeline), and has not expired at `nowSeconds`. */
export function streamTokenIsValid(
  token: string,
  key: Pick<ApiKeyRecord, 'keyId' | 'hash'>,
  id: string,
  nowSeconds: number,
  resource: StreamResource = 'job',
): boolean {
  const claims = readStreamToken(token);
  if (!claims || claims.keyId !== key.keyId || claims.jobId !== id || claims.expiresAtSeconds <= nowSeconds) return false;
  const expected = Buffer.from(signStreamToken(key, id, claims.expiresAtSeconds, resource));
  const actual = Buffer.from(token);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

function mac(hash: string, claims: string, resource: StreamResource): string {
  // A job's domain string is the one tokens were first signed with, so tokens issued before pipelines had them stay valid.
  const domain = resource === 'job' ? 'agent-runner stream token' : `agent-runner ${resource} stream token`;
  return createHmac('sha256', Buffer.from(hash, 'hex')).update(`${domain}|${claims}`).digest('base64url');
}
