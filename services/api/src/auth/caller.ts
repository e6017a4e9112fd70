import { API_KEY_SCOPES, type ApiKeyScope } from '@agent-runner/shared/ports/api-keys.ts';

/**
 * Who is asking, as the authentication middleware found it on `ctx.state.caller`. Routes (and the
 * quota checks) read the tenant from here, never from the request body.
 */
export interface Caller {
  /** The API key's id; null with auth off. */
  keyId: string | null;
  /** The key's tenant; null with auth off (the job's tenant is then the body's, or the default). */
  tenant: string | null;
  scopes: ReadonlySet<ApiKeyScope>;
  /** An `admin` key, or anyone with auth off: every scope, every tenant. */
  isAdmin: boolean;
}

/** Everyone, when AGENT_RUNNER_AUTH=off: what the API allowed before keys existed. */
export const ANONYMOUS_ADMIN: Caller = Object.freeze({ keyId: null, tenant: null, scopes: new Set(API_KEY_SCOPES), isAdmin: true });

export function callerForKey(record: { keyId: string; tenant: string; scopes: readonly ApiKeyScope[] }): Caller {
  return { keyId: record.keyId, tenant: record.tenant, scopes: new Set(record.scopes), isAdmin: record.scopes.includes('admin') };
}

/** What koa's `ctx.state` carries after the authentication middleware. */
export interface AuthState {
  /** null: no usable credentials (routes that need a caller answer 401). */
  caller: Caller | null;
  /** Why `caller` is null, for the 401's detail. */
  authProblem: string;
}
