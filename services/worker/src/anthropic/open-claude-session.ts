import type { HandlerContext } from '../handlers/job-handler.ts';
import type { ClaudeSession } from './claude-session.ts';

/**
 * Opens a session for a job's model calls. The Anthropic SDK (some 300 modules, a quarter of a
 * second to load) is imported here, on first use, so a worker whose job makes no model call starts
 * without it.
 */
export async function openClaudeSession(ctx: HandlerContext, requestedModel: string | undefined): Promise<ClaudeSession> {
  const { ClaudeSession } = await import('./claude-session.ts');
  return await ClaudeSession.open(ctx, requestedModel);
}
