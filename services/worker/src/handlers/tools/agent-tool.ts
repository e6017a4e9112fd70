import { z } from 'zod';
import type { Tool } from '@anthropic-ai/sdk/resources/messages';
import type { JsonValue } from '@agent-runner/shared/domain/job.ts';
import type { HandlerContext } from '../job-handler.ts';

/** A tool failed in a way the model should hear about (bad input, a refused host): sent back as an error result. */
export class ToolError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ToolError';
  }
}

/** A tool the tool_agent can offer the model: its input schema (also what the model is shown) and what it does. */
export interface AgentTool<I> {
  readonly name: string;
  /** Shown to the model: what the tool does and when to use it. */
  readonly description: string;
  readonly inputSchema: z.ZodType<I>;
  /** Throws ToolError for failures to report to the model; an abort of `ctx.signal` propagates. */
  run(input: I, ctx: HandlerContext): Promise<JsonValue>;
}

/** A tool with its input type erased, as the registry holds it. */
export interface RegisteredTool {
  readonly name: string;
  /** The Messages API tool definition. */
  readonly definition: Tool;
  /** Validates the model's input against the schema (ToolError if it does not fit), then runs the tool. */
  run(input: unknown, ctx: HandlerContext): Promise<JsonValue>;
}

export function defineTool<I>(tool: AgentTool<I>): RegisteredTool {
  const { $schema: _dialect, ...schema } = z.toJSONSchema(tool.inputSchema) as Record<string, unknown>;
  if (schema.type !== 'object') throw new Error(`tool ${tool.name}: the input schema must describe an object`);
  return {
    name: tool.name,
    definition: { name: tool.name, description: tool.description, input_schema: { ...schema, type: 'object' } },
    run: async (input, ctx) => {
      const parsed = tool.inputSchema.safeParse(input);
      if (!parsed.success) throw new ToolError(`invalid input for ${tool.name}: ${z.prettifyError(parsed.error)}`);
      return tool.run(parsed.data, ctx);
    },
  };
}
