import type { Config } from '@agent-runner/shared/config/config.ts';
import { FatalError } from '@agent-runner/shared/domain/errors.ts';
import { modelProblems } from '@agent-runner/shared/job-types/claude-payload-fields.ts';

/** The model a job runs on: the payload's, else the default. FatalError when it is not allowed. */
export function chooseModel(requested: string | undefined, config: Config): string {
  const problem = modelProblems(requested, config)[0];
  if (problem) throw new FatalError(problem.message);
  return requested ?? config.anthropic.defaultModel;
}
