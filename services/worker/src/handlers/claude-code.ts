import { claudeCodeJobType } from '@agent-runner/shared/job-types/claude-code.ts';
import { openClaudeSession } from '../anthropic/open-claude-session.ts';
import { textOf } from '../anthropic/message-text.ts';
import { stripCodeFences } from './code-fences.ts';
import { canonicalLanguage, codeSystemPrompt } from './code-prompts.ts';
import { defineHandler } from './job-handler.ts';

/** Code written to a specification by Claude prompted as an expert in the language. */
export const claudeCodeHandler = defineHandler({
  jobType: 'claude_code',
  definition: claudeCodeJobType,
  async run(payload, ctx) {
    const claude = await openClaudeSession(ctx, payload.model);
    const language = canonicalLanguage(payload.language);
    const message = await claude.call({
      system: codeSystemPrompt(language),
      messages: [{ role: 'user', content: payload.specification }],
      maxTokens: payload.max_tokens,
    });
    return {
      code: stripCodeFences(textOf(message)),
      language,
      model: message.model,
      stop_reason: message.stop_reason,
      // Cut off at max_tokens: the code is incomplete.
      truncated: message.stop_reason === 'max_tokens',
      usage: claude.usage(),
      cost_usd: claude.ledger.totalCostUsd(),
      rate_limits: claude.lastRateLimits,
    };
  },
});
