import type { RegisteredHandler } from './job-handler.ts';
import { echoHandler } from './echo.ts';
import { sleepHandler } from './sleep.ts';
import { claudeChatHandler } from './claude-chat.ts';
import { claudeCodeHandler } from './claude-code.ts';
import { researchHandler } from './research.ts';
import { toolAgentHandler } from './tool-agent.ts';

/** Every job type the system runs. Adding one: a handler file and a line here. */
const HANDLERS: readonly RegisteredHandler[] = [
  echoHandler,
  sleepHandler,
  claudeChatHandler,
  claudeCodeHandler,
  researchHandler,
  toolAgentHandler,
];

const BY_TYPE = new Map(HANDLERS.map((h) => [h.jobType, h]));

export function findHandler(jobType: string): RegisteredHandler | undefined {
  return BY_TYPE.get(jobType);
}

export function jobTypes(): string[] {
  return [...BY_TYPE.keys()];
}
