import { main } from '@agent-runner/api/main.ts';

export const summary = 'run the API service alone (records and enqueues jobs)';
export const usage = 'usage: agent-runner api\n\nListens on AGENT_RUNNER_HOST:AGENT_RUNNER_PORT. Configuration from the environment.';
export const run = (_argv: string[], env: Record<string, string | undefined>): Promise<number> => main(env);
