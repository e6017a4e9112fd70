import { claudeChatJobType } from '@agent-runner/shared/job-types/claude-chat.ts';
import type { MessageParam } from '@anthropic-ai/sdk/resources/messages';
import { openClaudeSession } from '../anthropic/open-claude-session.ts';
import { textOf } from '../anthropic/message-text.ts';
import { defineHandler } from './job-handler.ts';

/** One reply from Claude to a prompt or a conversation, streamed as it is written. */
export const claudeChatHandler = defineHandler({
  jobType: 'claude_chat',
  definition: claudeChatJobType,
  async run(payload, ctx) {
    const claude = await openClaudeSession(ctx, payload.model);
    const messages: MessageParam[] = payload.messages ?? [{ role: 'user', content: payload.prompt ?? '' }];
    const message = await claude.call({
      messages,
      maxTokens: payload.max_tokens,
      ...(payload.system !== undefined ? { system: payload.system } : {}),
      ...(payload.temperature !== undefined ? { temperature: payload.temperature } : {}),
    });
    return {
      response: textOf(message),
      model: message.model,
      stop_reason: message.stop_reason,
      usage: claude.usage(),
      cost_usd: claude.ledger.totalCostUsd(),
      rate_limits: claude.lastRateLimits,
    };
  },
});
