import { ApiUnreachableError, type ApiClient, type JobView } from './api-client.ts';

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED', 'SKIPPED']);

export function isTerminalStatus(status: string): boolean {
  return TERMINAL.has(status);
}

export interface WaitOptions {
  /** Between polls. Default 500 ms. */
  intervalMs?: number;
  /** How long the API may stay unreachable (a restart) before waiting gives up. Default 30 000 ms. */
  unreachableForMs?: number;
  /** Every poll's answer, for a progress line. */
  onPoll?: (job: JobView) => void;
}

/** Polls GET /jobs/{id} until the job is terminal; returns that view (with its result). */
export async function waitForJob(client: ApiClient, jobId: string, options: WaitOptions = {}): Promise<JobView> {
  const intervalMs = options.intervalMs ?? 500;
  const unreachableForMs = options.unreachableForMs ?? 30_000;
  let unreachableSince: number | null = null;
  for (;;) {
    try {
      const job = await client.getJob(jobId);
      unreachableSince = null;
      options.onPoll?.(job);
      if (isTerminalStatus(job.status)) return job;
    } catch (error) {
      if (!(error instanceof ApiUnreachableError)) throw error;
      unreachableSince ??= Date.now();
      if (Date.now() - unreachableSince > unreachableForMs) throw error;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
