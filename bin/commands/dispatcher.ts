import { main } from '@agent-runner/dispatcher/main.ts';

export const summary = 'run the dispatcher alone (consumes the queues, launches workers, reaps the lost)';
export const usage = 'usage: agent-runner dispatcher\n\nConfiguration from the environment.';
export const run = (_argv: string[], env: Record<string, string | undefined>): Promise<number> => main(env);
