import type { JobView } from './api-client.ts';

interface AttemptView {
  number: number;
  started_at: string | null;
  ended_at: string | null;
}

/** When the job's first attempt started (NaN if it never did). */
export const startedAt = (job: JobView): number => Date.parse((job.attempts[0] as unknown as AttemptView).started_at ?? 'x');

/** When the job's last attempt ended (NaN if it has not). */
export const endedAt = (job: JobView): number => Date.parse((job.attempts.at(-1) as unknown as AttemptView).ended_at ?? 'x');
