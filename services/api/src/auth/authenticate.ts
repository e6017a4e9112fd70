import type { Middleware } from 'koa';
import type { ApiKeyVerifier } from './api-key-verifier.ts';
import { ANONYMOUS_ADMIN, callerForKey, type AuthState } from './caller.ts';

/**
 * Sets `ctx.state.caller` for every request. With auth off everyone is the anonymous admin. With
 * auth on, `Authorization: Bearer <key>` names a key; without a usable one the caller is null and
 * a route that needs one answers 401 (public routes — health, metrics, the dashboard's files, the
 * OpenAPI document — need none). The key is never logged or kept beyond this request.
 */
export function authenticate(mode: 'required' | 'off', verifier: ApiKeyVerifier): Middleware<AuthState> {
  return async (ctx, next) => {
    if (mode === 'off') {
      ctx.state.caller = ANONYMOUS_ADMIN;
      ctx.state.authProblem = '';
      return next();
    }
    ctx.state.caller = null;
    const header = ctx.get('Authorization');
    if (!header) {
      ctx.state.authProblem = 'this API needs an API key: send Authorization: Bearer <key>';
      return next();
    }
    const match = /^Bearer +(\S+) *$/i.exec(header);
    if (!match) {
      ctx.state.authProblem = 'the Authorization header must be "Bearer <key>"';
      return next();
    }
    const record = await verifier.verify(match[1]!);
    if (record) ctx.state.caller = callerForKey(record);
    else ctx.state.authProblem = 'the API key is not valid (unknown or revoked)';
    return next();
  };
}
