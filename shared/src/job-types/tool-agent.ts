import { z } from 'zod';
import type { Config } from '../config/config.ts';
import { maxTokensField, modelField, modelProblems } from './claude-payload-fields.ts';
import { defineJobType, type PayloadProblem } from './job-type.ts';

/** The tools a tool_agent job may name. The worker has one per name (its tool registry is typed on this list). */
export const TOOL_NAMES = ['calculator', 'http_get', 'submit_job'] as const;
export type ToolName = (typeof TOOL_NAMES)[number];

const payloadSchema = z.strictObject({
  prompt: z.string().min(1).max(200_000),
  /** Names of tools; an unknown name is refused at submit time. */
  tools: z
    .array(z.enum(TOOL_NAMES))
    .min(1)
    .max(TOOL_NAMES.length)
    .refine((names) => new Set(names).size === names.length, 'each tool may be named once'),
  system: z.string().min(1).max(100_000).optional(),
  /** Model calls at most (each call is one turn). */
  max_turns: z.number().int().min(1).max(50).default(10),
  /** Spending limit for the job's model calls, USD. */
  max_cost_usd: z.number().positive().max(10_000).optional(),
  max_tokens: maxTokensField(4096),
  model: modelField,
});

type Payload = z.output<typeof payloadSchema>;

/** Claude with tools, in a loop, until done, max_turns or max_cost_usd. */
export const toolAgentJobType = defineJobType({
  name: 'tool_agent',
  description: 'Runs Claude with the named `tools` (calculator, http_get, submit_job) until done, max_turns or max_cost_usd.',
  payloadSchema,
  checkPayload: (payload, config) => [...modelProblems(payload.model, config), ...toolProblems(payload, config)],
});

/** http_get needs an allow-list to be useful; asking for it without one is a mistake to report at submit. */
function toolProblems(payload: Payload, config: Config): PayloadProblem[] {
  if (payload.tools.includes('http_get') && config.tools.httpGetAllowedHosts.length === 0) {
    return [{ path: 'tools', message: 'http_get is not enabled here: AGENT_RUNNER_HTTP_GET_ALLOWED_HOSTS is empty' }];
  }
  return [];
}
