import { CloudWatchLogReader } from '@agent-runner/shared/adapters/aws/cloudwatch-log-reader.ts';
import type { ApiClient, JobView } from './api-client.ts';

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED']);

export interface PrintWorkerLogsOptions {
  follow: boolean;
  json: boolean;
  /** AWS_ENDPOINT_URL: an emulator in tests; unset on AWS. */
  endpoint: string | null;
  /** How often --follow asks CloudWatch Logs and the API again. */
  pollMs?: number;
  write?: (text: string) => void;
}

/** Whether the job's attempts name CloudWatch Logs streams (ECS workers with a known log group). */
export function hasWorkerLogStreams(job: JobView): boolean {
  // An older API (or a stand-in) may answer without attempts or streams: then there are none.
  const attempts: JobView['attempts'] | undefined = job.attempts;
  return (attempts ?? []).some((a) => a.log_stream !== null && a.log_stream !== undefined);
}

/**
 * Prints what the job's workers wrote to their awslogs streams, attempt by attempt, each line as
 * `HH:MM:SS.mmm #attempt message` (or one JSON object per line). With `follow`, keeps reading the
 * streams (and the job, for new attempts) until the job is terminal, then reads each stream once
 * more: awslogs ships a task's last lines up to a few seconds after it stops. Returns the job's
 * last status.
 */
export async function printWorkerLogs(client: ApiClient, jobId: string, options: PrintWorkerLogsOptions): Promise<string> {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const reader = new CloudWatchLogReader(options.endpoint);
  const headed = new Set<number>();
  try {
    let job = await client.getJob(jobId);
    let lastRound = !options.follow;
    for (;;) {
      for (const attempt of job.attempts) {
        if (!attempt.log_stream) continue;
        const lines = await reader.readNew(attempt.log_stream);
        if (!options.json && !headed.has(attempt.number) && (lines.length > 0 || lastRound)) {
          headed.add(attempt.number);
          write(`── attempt ${attempt.number}: ${attempt.log_stream.group} ${attempt.log_stream.stream}\n`);
        }
        for (const line of lines)
          write(
            options.json
              ? `${JSON.stringify({ attempt: attempt.number, at: line.at, message: line.message })}\n`
              : `${line.at.slice(11, 23)} #${attempt.number} ${line.message}\n`,
          );
      }
      if (lastRound) return job.status;
      await new Promise((r) => setTimeout(r, options.pollMs ?? 2000));
      job = await client.getJob(jobId);
      if (TERMINAL.has(job.status)) lastRound = true;
    }
  } finally {
    reader.close();
  }
}
