import { z } from 'zod';
import type { Config } from '../config/config.ts';
import type { PayloadProblem } from './job-type.ts';

/** A payload's model: checked against AGENT_RUNNER_ALLOWED_MODELS by modelProblems, at submit and at run. */
export const modelField = z.string().min(1).max(100).optional();

/** max_tokens with a per-job-type default; 128K is the largest output current models allow. */
export const maxTokensField = (fallback: number) => z.number().int().min(1).max(128_000).default(fallback);

/** A payload's `model` must be one of the deployment's allowed models (absent: the default). */
export function modelProblems(requested: string | undefined, config: Config): PayloadProblem[] {
  if (requested === undefined || config.anthropic.allowedModels.includes(requested)) return [];
  return [{ path: 'model', message: `model "${requested}" is not allowed; allowed: ${config.anthropic.allowedModels.join(', ')}` }];
}
