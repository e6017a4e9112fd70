import type { RegisteredTool } from './agent-tool.ts';
import { calculatorTool } from './calculator.ts';
import { httpGetTool } from './http-get.ts';
import { submitJobTool } from './submit-job.ts';

/** Every tool a tool_agent job may ask for, by name. Adding one: a tool file and a line here. */
const TOOLS: readonly RegisteredTool[] = [calculatorTool, httpGetTool, submitJobTool];

export const TOOL_NAMES = TOOLS.map((t) => t.name) as [string, ...string[]];

const BY_NAME = new Map(TOOLS.map((t) => [t.name, t]));

export function findTool(name: string): RegisteredTool | undefined {
  return BY_NAME.get(name);
}
