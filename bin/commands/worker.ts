import { main } from '@agent-runner/worker/main.ts';

export const summary = 'run one attempt of one job and exit (what each ECS task / child process runs)';
export const usage =
  "usage: agent-runner worker\n\nReads JOB_ID and JOB_ATTEMPT (set by the launcher) and the configuration from the environment.\nExit code 0: succeeded (or not this worker's to run); 1: the attempt failed; 2: bad configuration.";
export const run = (_argv: string[], env: Record<string, string | undefined>): Promise<number> => main(env);
