import { toolAgentJobType } from '@agent-runner/shared/job-types/tool-agent.ts';
import type { Message, MessageParam, ToolResultBlockParam } from '@anthropic-ai/sdk/resources/messages';
import type { JsonObject, JsonValue } from '@agent-runner/shared/domain/job.ts';
import { roundUsd } from '@agent-runner/shared/domain/job-usage.ts';
import { openClaudeSession } from '../anthropic/open-claude-session.ts';
import { textOf } from '../anthropic/message-text.ts';
import { TenantBudgetExceededError } from '../tenant-daily-budget.ts';
import { minimumCallCostUsd, minimumTokensOf, wouldExceedBudget } from './agent-budget.ts';
import { defineHandler, type HandlerContext } from './job-handler.ts';
import { ToolError } from './tools/agent-tool.ts';
import { findTool } from './tools/tool-registry.ts';

/** A tool result longer than this is cut: one result must not swamp the conversation. */
const MAX_TOOL_RESULT_CHARS = 100_000;

/** Why the loop stopped. */
export type AgentOutcome = 'completed' | 'max_turns' | 'budget_exceeded' | 'max_tokens' | 'refused' | 'context_exceeded';

interface ToolCallRecord extends JsonObject {
  turn: number;
  id: string;
  name: string;
  input: JsonValue;
  output: JsonValue;
  is_error: boolean;
}

const SYSTEM =
  'You are a capable assistant that uses the tools provided whenever they help. When the task is done, give your final answer.';

/**
 * Claude with tools, in a loop: call the model, run the tools it asks for, send the results
 * back, until it ends its turn — or `max_turns` calls were made, or the next call would certainly
 * overrun `max_cost_usd` (checked before each call, counting what the jobs it started through
 * submit_job spent as well as its own calls) or its tenant's daily budget, or the job's deadline aborts it (the signal
 * goes to every SDK call and tool). Every tool call and result is emitted and kept in the result,
 * as is what the model produced so far when the loop stops early.
 */
export const toolAgentHandler = defineHandler({
  jobType: 'tool_agent',
  definition: toolAgentJobType,
  async run(payload, ctx) {
    const claude = await openClaudeSession(ctx, payload.model);
    const tools = payload.tools.map((name) => {
      const tool = findTool(name);
      if (!tool) throw new Error(`tool ${name} passed the schema but is not registered`);
      return tool;
    });
    const definitions = tools.map((t) => t.definition);
    const system = payload.system ?? SYSTEM;
    const messages: MessageParam[] = [{ role: 'user', content: payload.prompt }];
    const toolCalls: ToolCallRecord[] = [];
    let last: Message | null = null;
    let turns = 0;
    let outcome: AgentOutcome | null = null;
    // A lower bound on the next call's prompt, in tokens: exact for what the API already counted,
    // estimated low for what was added since.
    let promptTokens = minimumTokensOf(system.length + payload.prompt.length + JSON.stringify(definitions).length);

    while (outcome === null) {
      if (turns >= payload.max_turns) {
        outcome = 'max_turns';
        break;
      }
      if (payload.max_cost_usd !== undefined) {
        // The agent's own calls and what the jobs it started spent: the limit is on both.
        const spent = roundUsd(claude.ledger.totalCostUsd() + (ctx.childJobs?.spentUsd() ?? 0));
        const nextMinimum = minimumCallCostUsd(claude.price, promptTokens);
        if (wouldExceedBudget(spent, nextMinimum, payload.max_cost_usd)) {
          ctx.emit({
            type: 'budget_exceeded',
            data: { spent_usd: spent, next_call_minimum_usd: nextMinimum, max_cost_usd: payload.max_cost_usd },
          });
          outcome = 'budget_exceeded';
          break;
        }
      }

      let message: Message;
      try {
        message = await claude.call({ system, messages, tools: definitions, maxTokens: payload.max_tokens, tag: { turn: turns + 1 } });
      } catch (error) {
        // The tenant's daily budget stops the loop as `max_cost_usd` does (the session emitted why).
        if (!(error instanceof TenantBudgetExceededError)) throw error;
        outcome = 'budget_exceeded';
        break;
      }
      turns++;
      last = message;
      messages.push({ role: 'assistant', content: message.content });
      promptTokens =
        message.usage.input_tokens + (message.usage.cache_creation_input_tokens ?? 0) + (message.usage.cache_read_input_tokens ?? 0);
      promptTokens += minimumTokensOf(visibleChars(message));

      switch (message.stop_reason) {
        case 'tool_use': {
          const results = await runToolCalls(message, turns, ctx, toolCalls);
          messages.push({ role: 'user', content: results });
          promptTokens += minimumTokensOf(results.reduce((n, r) => n + String(r.content ?? '').length, 0));
          break;
        }
        case 'pause_turn':
          // The API paused a long turn; sending the conversation back lets it continue.
          break;
        case 'end_turn':
        case 'stop_sequence':
        case null:
          outcome = 'completed';
          break;
        case 'max_tokens':
          outcome = 'max_tokens';
          break;
        case 'refusal':
          outcome = 'refused';
          break;
        case 'model_context_window_exceeded':
          outcome = 'context_exceeded';
          break;
        default: {
          const unexpected: never = message.stop_reason;
          throw new Error(`unexpected stop_reason ${String(unexpected)}`);
        }
      }
    }

    const usage = claude.usage();
    ctx.emit({ type: 'agent_stopped', data: { outcome, turns, cost_usd: usage.cost_usd } });
    return {
      outcome,
      response: last ? textOf(last) : '',
      turns,
      tool_calls: toolCalls,
      model: claude.model,
      max_cost_usd: payload.max_cost_usd ?? null,
      usage,
      cost_usd: usage.cost_usd,
      child_jobs_cost_usd: ctx.childJobs?.spentUsd() ?? 0,
      rate_limits: claude.lastRateLimits,
    };
  },
});

/** Runs each tool_use block in order and returns the tool_result blocks for the next user turn. */
async function runToolCalls(
  message: Message,
  turn: number,
  ctx: HandlerContext,
  record: ToolCallRecord[],
): Promise<ToolResultBlockParam[]> {
  const results: ToolResultBlockParam[] = [];
  for (const block of message.content) {
    if (block.type !== 'tool_use') continue;
    const input = (block.input ?? {}) as JsonValue;
    ctx.emit({ type: 'tool_call', data: { turn, id: block.id, name: block.name, input } });
    let output: JsonValue;
    let isError = false;
    const tool = findTool(block.name);
    try {
      if (!tool) throw new ToolError(`there is no tool named "${block.name}"`);
      output = await tool.run(block.input, ctx);
    } catch (error) {
      // A tool's own failure goes back to the model, which can correct itself; an abort or any
      // other error ends the job.
      if (ctx.signal.aborted) throw ctx.signal.reason;
      if (!(error instanceof ToolError)) throw error;
      output = error.message;
      isError = true;
    }
    ctx.emit({ type: 'tool_result', data: { turn, id: block.id, name: block.name, is_error: isError, output } });
    record.push({ turn, id: block.id, name: block.name, input, output, is_error: isError });
    const text = typeof output === 'string' ? output : JSON.stringify(output);
    results.push({
      type: 'tool_result',
      tool_use_id: block.id,
      content:
        text.length > MAX_TOOL_RESULT_CHARS
          ? `${text.slice(0, MAX_TOOL_RESULT_CHARS)}… [cut at ${MAX_TOOL_RESULT_CHARS} characters]`
          : text,
      ...(isError ? { is_error: true } : {}),
    });
  }
  return results;
}

/** Characters of a reply that go back as the next prompt's assistant turn (text and tool calls). */
function visibleChars(message: Message): number {
  let chars = 0;
  for (const block of message.content) {
    if (block.type === 'text') chars += block.text.length;
    else if (block.type === 'tool_use') chars += block.name.length + JSON.stringify(block.input ?? {}).length;
  }
  return chars;
}
