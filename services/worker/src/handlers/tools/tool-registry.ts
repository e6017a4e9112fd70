import type { ToolName } from '@agent-runner/shared/job-types/tool-agent.ts';
import type { RegisteredTool } from './agent-tool.ts';
import { calculatorTool } from './calculator.ts';
import { httpGetTool } from './http-get.ts';
import { submitJobTool } from './submit-job.ts';

/**
 * Every tool a tool_agent job may ask for, by the names its payload schema accepts
 * (shared/src/job-types/tool-agent.ts): a name without a tool here fails `tsc`.
 */
const TOOLS: { readonly [N in ToolName]: RegisteredTool } = {
  calculator: calculatorTool,
  http_get: httpGetTool,
  submit_job: submitJobTool,
};

export function findTool(name: string): RegisteredTool | undefined {
  return Object.hasOwn(TOOLS, name) ? TOOLS[name as ToolName] : undefined;
}
