import { AuthenticationError, NotFoundError, PermissionError } from '@agent-runner/shared/domain/errors.ts';
import type { Job } from '@agent-runner/shared/domain/job.ts';
import type { ApiKeyScope } from '@agent-runner/shared/ports/api-keys.ts';
import type { AuthState, Caller } from './caller.ts';

/** The caller, when it may use `scope`: else 401 (nobody) or 403 (a key without the scope). */
export function requireScope(state: Partial<AuthState>, scope: ApiKeyScope): Caller {
  const caller = state.caller;
  if (!caller) throw new AuthenticationError(state.authProblem || 'this API needs an API key: send Authorization: Bearer <key>');
  if (!caller.isAdmin && !caller.scopes.has(scope)) throw new PermissionError(`this API key lacks the "${scope}" scope`);
  return caller;
}

/** Whether the caller may know the job exists: its own tenant's, or any for an admin. */
export function canSee(caller: Caller, job: Pick<Job, 'tenant'>): boolean {
  return caller.isAdmin || job.tenant === caller.tenant;
}

/** The job, or the same NotFoundError an absent one gets: another tenant's job is never revealed. */
export function visibleJob<J extends Pick<Job, 'tenant' | 'jobId'>>(caller: Caller, job: J | null, jobId: string): J {
  if (!job || !canSee(caller, job)) throw new NotFoundError(`job ${jobId} not found`);
  return job;
}

/**
 * The tenant a submission runs as: the key's. Naming another in the body takes an admin key (403
 * otherwise); with auth off it is the body's, else the default, as before keys existed.
 */
export function submissionTenant(caller: Caller, requested: string | undefined, defaultTenant: string): string {
  if (caller.isAdmin) return requested ?? caller.tenant ?? defaultTenant;
  if (requested !== undefined && requested !== caller.tenant)
    throw new PermissionError('only an admin key may submit a job for another tenant');
  return caller.tenant!;
}

/** The tenant a listing is limited to: the key's own; an admin's choice (undefined: every tenant). */
export function listingTenant(caller: Caller, requested: string | undefined): string | undefined {
  if (caller.isAdmin) return requested;
  if (requested !== undefined && requested !== caller.tenant) throw new PermissionError("only an admin key may read another tenant's jobs");
  return caller.tenant!;
}
