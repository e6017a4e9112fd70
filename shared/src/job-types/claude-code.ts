import { z } from 'zod';
import { maxTokensField, modelField, modelProblems } from './claude-payload-fields.ts';
import { defineJobType } from './job-type.ts';

/** Code written to a specification by Claude prompted as an expert in the language. */
export const claudeCodeJobType = defineJobType({
  name: 'claude_code',
  description: 'Writes `language` code meeting `specification`; returns the code without Markdown fences.',
  allowsPooled: true,
  payloadSchema: z.strictObject({
    specification: z.string().min(1).max(200_000),
    language: z.string().regex(/^[A-Za-z][A-Za-z0-9+#.-]{0,39}$/, 'a language name such as typescript, python, go, c++'),
    max_tokens: maxTokensField(4096),
    model: modelField,
  }),
  checkPayload: (payload, config) => modelProblems(payload.model, config),
});
