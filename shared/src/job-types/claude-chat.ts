import { z } from 'zod';
import { maxTokensField, modelField, modelProblems } from './claude-payload-fields.ts';
import { defineJobType } from './job-type.ts';

const turn = z.strictObject({
  role: z.enum(['user', 'assistant']),
  content: z.string().min(1).max(500_000),
});

/** One reply from Claude to a prompt or a conversation, streamed as it is written. */
export const claudeChatJobType = defineJobType({
  name: 'claude_chat',
  description: 'Sends `prompt` (or a `messages` conversation) to Claude and returns its reply, streamed as text_delta events.',
  allowsPooled: true,
  payloadSchema: z
    .strictObject({
      /** A single user message… */
      prompt: z.string().min(1).max(500_000).optional(),
      /** …or the whole conversation so far, oldest first, starting with the user. */
      messages: z.array(turn).min(1).max(1_000).optional(),
      system: z.string().min(1).max(100_000).optional(),
      max_tokens: maxTokensField(1024),
      model: modelField,
      temperature: z.number().min(0).max(1).optional(),
    })
    .refine((p) => (p.prompt === undefined) !== (p.messages === undefined), {
      error: (issue) =>
        (issue.input as { prompt?: unknown }).prompt === undefined
          ? 'give prompt or messages (one of them)'
          : 'give either prompt or messages, not both',
      path: ['prompt'],
    })
    .refine((p) => p.messages === undefined || p.messages[0]?.role === 'user', {
      message: 'the conversation must start with a user message',
      path: ['messages', 0, 'role'],
    }),
  checkPayload: (payload, config) => modelProblems(payload.model, config),
});
