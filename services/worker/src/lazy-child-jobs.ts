import type { ChildJobDeps } from './child-jobs.ts';
import type { ChildJobRunner } from './handlers/job-handler.ts';

/**
 * A ChildJobRunner that imports the real one (submission, payload validation, result loading) on
 * the first child job: only a tool_agent's `submit_job` starts one, so the other job types' workers
 * never load that code.
 */
export function lazyChildJobRunner(deps: ChildJobDeps): ChildJobRunner {
  let runner: Promise<ChildJobRunner> | null = null;
  let loaded: ChildJobRunner | null = null;
  return {
    spentUsd: () => loaded?.spentUsd() ?? 0,
    async runChildJob(request, signal) {
      runner ??= import('./child-jobs.ts').then(({ createChildJobRunner }) => {
        loaded = createChildJobRunner(deps);
        return loaded;
      });
      return (await runner).runChildJob(request, signal);
    },
  };
}
