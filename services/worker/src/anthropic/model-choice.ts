import type { Config } from '@agent-runner/shared/config/config.ts';
import { FatalError } from '@agent-runner/shared/domain/errors.ts';
import type { PayloadProblem } from '../handlers/job-handler.ts';

/** Submit-time check of a payload's `model`: it must be one of the deployment's allowed models. */
export function modelProblems(requested: string | undefined, config: Config): PayloadProblem[] {
  if (requested === undefined || config.anthropic.allowedModels.includes(requested)) return [];
  return [{ path: 'model', message: `model "${requested}" is not allowed; allowed: ${config.anthropic.allowedModels.join(', ')}` }];
}

/** The model a job runs on: the payload's, else the default. FatalError when it is not allowed. */
export function chooseModel(requested: string | undefined, config: Config): string {
  const problem = modelProblems(requested, config)[0];
  if (problem) throw new FatalError(problem.message);
  return requested ?? config.anthropic.defaultModel;
}
