import { CLIENT_OPTIONS_USAGE, EXIT, clientFor, parseCommandArgs, runClientCommand } from '../client/client-command.ts';
import { followJobEvents, type JobEventData } from '../client/follow-job-events.ts';
import { hasWorkerLogStreams, printWorkerLogs } from '../client/print-worker-logs.ts';

export const summary = "print a job's live events (text as it streams, tool calls, steps); --follow to tail them";
export const usage = `usage: agent-runner logs JOB_ID [--follow] [--events] [--json] [--api URL] [--api-key KEY]

Prints the job's events (GET /jobs/{id}/events): streamed text as it comes, other events one per
line. Without --follow, prints what is there now; with --follow, keeps printing until the job ends,
reconnecting where it left off (Last-Event-ID) if the connection drops. Exits 1 when the job ended
FAILED, TIMED_OUT or CANCELLED.

On the aws backend, when the job's attempts name their CloudWatch Logs streams (the worker task's
awslogs output), prints those instead, attempt by attempt (--follow: until the job ends), read
with the AWS credentials of this shell (AWS_PROFILE, AWS_ACCESS_KEY_ID…; AWS_ENDPOINT_URL honoured).

  -f, --follow       wait for new events until the job ends
      --events       the job's events even when its workers' log streams are known
${CLIENT_OPTIONS_USAGE.replace("print the API's JSON instead of text", 'one JSON object per event (JSON lines)')}`;

const OPTIONS = { follow: { type: 'boolean', short: 'f', default: false }, events: { type: 'boolean', default: false } } as const;

export function run(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  return runClientCommand('logs', usage, async () => {
    const { values, positionals } = parseCommandArgs(argv, OPTIONS, { names: ['JOB_ID'] });
    const client = clientFor(values.api, env, values['api-key']);
    const jobId = positionals[0]!;
    // A missing job is an error at once, not an empty stream.
    const job = await client.getJob(jobId);
    if (!values.events && hasWorkerLogStreams(job)) {
      const status = await printWorkerLogs(client, jobId, {
        follow: values.follow,
        json: values.json,
        endpoint: env.AWS_ENDPOINT_URL || null,
      });
      return TERMINAL_FAILED.has(status) ? EXIT.failed : EXIT.ok;
    }
    const printer = values.json ? jsonLines() : readable();
    let endStatus: string | null = null;
    for await (const item of followJobEvents(client, jobId, { follow: values.follow })) {
      if (item.kind === 'event') printer.event(item.event);
      else if (item.kind === 'reconnecting')
        process.stderr.write(`(connection lost; resuming after event ${item.lastEventId ?? 'none'})\n`);
      else {
        endStatus = item.status;
        printer.end(item.status);
      }
    }
    printer.close();
    return endStatus === null || endStatus === 'SUCCEEDED' ? EXIT.ok : EXIT.failed;
  });
}

const TERMINAL_FAILED = new Set(['FAILED', 'TIMED_OUT', 'CANCELLED']);

interface Printer {
  event(event: JobEventData): void;
  end(status: string | null): void;
  close(): void;
}

function jsonLines(): Printer {
  return {
    event: (event) => process.stdout.write(`${JSON.stringify(event)}\n`),
    end: (status) => process.stdout.write(`${JSON.stringify({ type: 'end', status })}\n`),
    close: () => {},
  };
}

/** Text deltas run together as the model wrote them; any other event gets a line of its own. */
function readable(): Printer {
  let midText = false;
  const breakText = () => {
    if (midText) process.stdout.write('\n');
    midText = false;
  };
  return {
    event(event) {
      const data = event.data;
      if (event.type === 'text_delta' && data && typeof data === 'object' && !Array.isArray(data) && typeof data.text === 'string') {
        process.stdout.write(data.text);
        midText = !data.text.endsWith('\n');
        return;
      }
      breakText();
      const time = event.at ? event.at.slice(11, 23) : '';
      process.stdout.write(`${time} #${event.attempt} ${event.type}${data === null ? '' : ` ${JSON.stringify(data)}`}\n`);
    },
    end(status) {
      breakText();
      process.stderr.write(`job ${status ?? 'gone'}\n`);
    },
    close: breakText,
  };
}
