import type { z } from 'zod';
import { AuthenticationError } from '@agent-runner/shared/domain/errors.ts';
import { requireScope } from './access.ts';
import type { ApiKeyVerifier } from './api-key-verifier.ts';
import { callerForKey, type AuthState, type Caller } from './caller.ts';
import type { StreamTokenSchema } from '../schemas/stream-token.ts';
import { readStreamToken, signStreamToken, STREAM_TOKEN_TTL_SECONDS, streamTokenIsValid } from './stream-token.ts';

export interface StreamAccessDeps {
  mode: 'required' | 'off';
  verifier: ApiKeyVerifier;
  now: () => Date;
}

export type StreamTokenView = z.output<typeof StreamTokenSchema>;

/**
 * Who opens GET /jobs/{id}/events: the bearer of a key with `read` (curl, the CLI), or of a stream
 * token for this job (a browser's EventSource, which cannot send headers).
 */
export async function eventStreamCaller(state: Partial<AuthState>, token: unknown, jobId: string, deps: StreamAccessDeps): Promise<Caller> {
  if (deps.mode === 'off' || typeof token !== 'string' || state.caller) return requireScope(state, 'read');
  const claims = readStreamToken(token);
  const key = claims ? await deps.verifier.activeRecord(claims.keyId) : null;
  if (!key || !streamTokenIsValid(token, key, jobId, Math.floor(deps.now().getTime() / 1000))) {
    throw new AuthenticationError(
      'the stream token is not valid for this job, or it has expired: ask POST /jobs/{id}/stream-token for a new one',
    );
  }
  return requireScope({ caller: callerForKey(key), authProblem: '' }, 'read');
}

export async function issueStreamToken(caller: Caller, jobId: string, deps: StreamAccessDeps): Promise<StreamTokenView> {
  const eventsUrl = `/jobs/${jobId}/events`;
  if (deps.mode === 'off' || caller.keyId === null) return { stream_token: null, expires_at: null, events_url: eventsUrl };
  const key = await deps.verifier.activeRecord(caller.keyId);
  if (!key) throw new AuthenticationError('the API key is not valid (unknown or revoked)');
  const expires = Math.floor(deps.now().getTime() / 1000) + STREAM_TOKEN_TTL_SECONDS;
  const token = signStreamToken(key, jobId, expires);
  return { stream_token: token, expires_at: new Date(expires * 1000).toISOString(), events_url: `${eventsUrl}?stream_token=${token}` };
}
