import type { JobTypeName } from '@agent-runner/shared/job-types/catalogue.ts';
import type { JobHandler } from './job-handler.ts';

/**
 * The code for every job type in the catalogue (shared/src/job-types/catalogue.ts), by name: a job
 * type without a handler here, or a handler under another type's name, fails `tsc`.
 *
 * Each handler is imported when a job of its type runs, not when the worker starts: a worker is one
 * process per job, and an echo job has no use for the Claude handlers, their tools or the
 * Anthropic SDK they load (test/integration/worker-startup.test.ts checks this).
 */
const HANDLERS: { readonly [T in JobTypeName]: () => Promise<JobHandler<T>> } = {
  echo: async () => (await import('./echo.ts')).echoHandler,
  sleep: async () => (await import('./sleep.ts')).sleepHandler,
  claude_chat: async () => (await import('./claude-chat.ts')).claudeChatHandler,
  claude_code: async () => (await import('./claude-code.ts')).claudeCodeHandler,
  research: async () => (await import('./research.ts')).researchHandler,
  tool_agent: async () => (await import('./tool-agent.ts')).toolAgentHandler,
};

/** The handler of `jobType`, loaded; undefined for a type the catalogue does not know. */
export async function loadHandler(jobType: string): Promise<JobHandler<JobTypeName> | undefined> {
  return isHandled(jobType) ? await HANDLERS[jobType]() : undefined;
}

/** Every catalogue type has a key in HANDLERS (tsc checks that), so this is the catalogue's own test, without loading its schemas. */
function isHandled(jobType: string): jobType is JobTypeName {
  return Object.hasOwn(HANDLERS, jobType);
}
