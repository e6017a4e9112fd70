import { isJobTypeName, type JobTypeName } from '@agent-runner/shared/job-types/catalogue.ts';
import type { JobHandler } from './job-handler.ts';
import { echoHandler } from './echo.ts';
import { sleepHandler } from './sleep.ts';
import { claudeChatHandler } from './claude-chat.ts';
import { claudeCodeHandler } from './claude-code.ts';
import { researchHandler } from './research.ts';
import { toolAgentHandler } from './tool-agent.ts';

/**
 * The code for every job type in the catalogue (shared/src/job-types/catalogue.ts), by name: a job
 * type without a handler here, or a handler under another type's name, fails `tsc`.
 */
const HANDLERS: { readonly [T in JobTypeName]: JobHandler<T> } = {
  echo: echoHandler,
  sleep: sleepHandler,
  claude_chat: claudeChatHandler,
  claude_code: claudeCodeHandler,
  research: researchHandler,
  tool_agent: toolAgentHandler,
};

export function findHandler(jobType: string): JobHandler<JobTypeName> | undefined {
  return isJobTypeName(jobType) ? HANDLERS[jobType] : undefined;
}
