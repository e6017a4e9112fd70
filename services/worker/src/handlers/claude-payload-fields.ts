import { z } from 'zod';

/** A payload's model: checked against AGENT_RUNNER_ALLOWED_MODELS by validateSubmission and at run. */
export const modelField = z.string().min(1).max(100).optional();

/** max_tokens with a per-job-type default; 128K is the largest output current models allow. */
export const maxTokensField = (fallback: number) => z.number().int().min(1).max(128_000).default(fallback);
