import type { z } from 'zod';
import { AuthenticationError } from '@agent-runner/shared/domain/errors.ts';
import { requireScope } from './access.ts';
import type { ApiKeyVerifier } from './api-key-verifier.ts';
import { callerForKey, type AuthState, type Caller } from './caller.ts';
import type { StreamTokenSchema } from '../schemas/stream-token.ts';
import { readStreamToken, signStreamToken, STREAM_TOKEN_TTL_SECONDS, type StreamResource, streamTokenIsValid } from './stream-token.ts';

export interface StreamAccessDeps {
  mode: 'required' | 'off';
  verifier: ApiKeyVerifier;
  now: () => Date;
}

export type StreamTokenView = z.output<typeof StreamTokenSchema>;

/** The event stream a token is for: a job's (GET /jobs/{id}/events) or a pipeline's (GET /pipelines/{id}/events). */
export interface StreamTarget {
  resource: StreamResource;
  id: string;
}

const collection = (target: StreamTarget) => (target.resource === 'job' ? 'jobs' : 'pipelines');

/**
 * Who opens an event stream: the bearer of a key with `read` (curl, the CLI), or of a stream token
 * for this job or pipeline (a browser's EventSource, which cannot send headers). The caller it
 * answers is the token's key's, so the route's tenant check applies to the token's bearer as well.
 */
export async function eventStreamCaller(
  state: Partial<AuthState>,
  token: unknown,
  target: StreamTarget,
  deps: StreamAccessDeps,
): Promise<Caller> {
  if (deps.mode === 'off' || typeof token !== 'string' || state.caller) return requireScope(state, 'read');
  const claims = readStreamToken(token);
  const key = claims ? await deps.verifier.activeRecord(claims.keyId) : null;
  if (!key || !streamTokenIsValid(token, key, target.id, Math.floor(deps.now().getTime() / 1000), target.resource)) {
    throw new AuthenticationError(
      `the stream token is not valid for this ${target.resource}, or it has expired: ask POST /${collection(target)}/{id}/stream-token for a new one`,
    );
  }
  return requireScope({ caller: callerForKey(key), authProblem: '' }, 'read');
}

export async function issueStreamToken(caller: Caller, target: StreamTarget, deps: StreamAccessDeps): Promise<StreamTokenView> {
  const eventsUrl = `/${collection(target)}/${target.id}/events`;
  if (deps.mode === 'off' || caller.keyId === null) return { stream_token: null, expires_at: null, events_url: eventsUrl };
  const key = await deps.verifier.activeRecord(caller.keyId);
  if (!key) throw new AuthenticationError('the API key is not valid (unknown or revoked)');
  const expires = Math.floor(deps.now().getTime() / 1000) + STREAM_TOKEN_TTL_SECONDS;
  const token = signStreamToken(key, target.id, expires, target.resource);
  return { stream_token: token, expires_at: new Date(expires * 1000).toISOString(), events_url: `${eventsUrl}?stream_token=${token}` };
}
