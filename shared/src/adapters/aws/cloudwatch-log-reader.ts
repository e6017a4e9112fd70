import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import type { AttemptLogStream } from '../../domain/job.ts';

/** One line an attempt's worker wrote, as CloudWatch Logs stored it. */
export interface WorkerLogLine {
  /** When the worker wrote it (ISO 8601). */
  at: string;
  message: string;
}

/**
 * Reads attempts' awslogs streams from CloudWatch Logs, from the head, a page at a time. A reader
 * keeps each stream's forward token, so asking again returns only what was written since: that is
 * all `--follow` needs (GetLogEvents answers the same token when nothing is new).
 */
export class CloudWatchLogReader {
  private readonly clients = new Map<string, CloudWatchLogsClient>();
  private readonly tokens = new Map<string, string>();
  private readonly endpoint: string | null;

  constructor(endpoint: string | null) {
    this.endpoint = endpoint;
  }

  /** Every line of `log` not yet returned by this reader; [] when the stream does not exist yet. */
  async readNew(log: AttemptLogStream): Promise<WorkerLogLine[]> {
    const key = `${log.region}\n${log.group}\n${log.stream}`;
    const lines: WorkerLogLine[] = [];
    for (;;) {
      const token = this.tokens.get(key);
      let out;
      try {
        out = await this.client(log.region).send(
          new GetLogEventsCommand({
            logGroupName: log.group,
            logStreamName: log.stream,
            startFromHead: true,
            ...(token ? { nextToken: token } : {}),
          }),
        );
      } catch (error) {
        // The task has not started (awslogs creates the stream with the container's first line).
        if ((error as { name?: string }).name === 'ResourceNotFoundException') return lines;
        throw error;
      }
      for (const event of out.events ?? [])
        lines.push({ at: new Date(event.timestamp ?? 0).toISOString(), message: (event.message ?? '').replace(/\n$/, '') });
      const next = out.nextForwardToken;
      if (!next || next === token) return lines;
      this.tokens.set(key, next);
      if ((out.events ?? []).length === 0) return lines;
    }
  }

  close(): void {
    for (const client of this.clients.values()) client.destroy();
    this.clients.clear();
  }

  private client(region: string): CloudWatchLogsClient {
    let client = this.clients.get(region);
    if (!client) {
      client = new CloudWatchLogsClient({ region, ...(this.endpoint ? { endpoint: this.endpoint } : {}) });
      this.clients.set(region, client);
    }
    return client;
  }
}
