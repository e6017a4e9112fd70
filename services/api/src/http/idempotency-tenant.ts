import type { Context } from 'koa';

/**
 * Whose Idempotency-Keys a request's key is checked among: two tenants' equal keys never meet.
 * Today that is the submission's resolved tenant; once requests are authenticated it is the
 * caller's tenant (ctx.state.caller), and only this function changes.
 */
export function idempotencyTenantOf(_ctx: Context, submission: { tenant: string }): string {
  return submission.tenant;
}
