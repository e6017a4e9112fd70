import type { z } from 'zod';
import { claudeChatJobType } from './claude-chat.ts';
import { claudeCodeJobType } from './claude-code.ts';
import { echoJobType } from './echo.ts';
import { researchJobType } from './research.ts';
import { sleepJobType } from './sleep.ts';
import { toolAgentJobType } from './tool-agent.ts';

/**
 * Every job type the system accepts, by name. Adding one: a file here and a line below; the
 * worker then fails to type-check until it has a runner for it (services/worker/src/handlers/registry.ts).
 */
export const JOB_TYPES = {
  echo: echoJobType,
  sleep: sleepJobType,
  claude_chat: claudeChatJobType,
  claude_code: claudeCodeJobType,
  research: researchJobType,
  tool_agent: toolAgentJobType,
} as const;

export type JobTypeName = keyof typeof JOB_TYPES;

/** The payload of a job type as its schema parses it (defaults filled in). */
export type PayloadOf<T extends JobTypeName> = z.output<(typeof JOB_TYPES)[T]['payloadSchema']>;

export const JOB_TYPE_NAMES = Object.keys(JOB_TYPES) as JobTypeName[];

export function isJobTypeName(name: string): name is JobTypeName {
  return Object.hasOwn(JOB_TYPES, name);
}
