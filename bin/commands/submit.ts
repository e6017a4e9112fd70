import { readFileSync } from 'node:fs';
import { ISOLATIONS, PRIORITIES } from '@agent-runner/shared/domain/job.ts';
import type { JsonValue } from '@agent-runner/shared/domain/job.ts';
import type { JobView, SubmitJobRequest } from '../client/api-client.ts';
import {
  CLIENT_OPTIONS_USAGE,
  EXIT,
  UsageError,
  clientFor,
  integerOption,
  parseCommandArgs,
  printJson,
  runClientCommand,
} from '../client/client-command.ts';
import { formatDuration, runTimeMs } from '../client/format-job.ts';
import { isTerminalStatus, waitForJob } from '../client/wait-for-job.ts';

export const summary = 'submit a job to the API (and with --wait, wait for its outcome)';
export const usage = `usage: agent-runner submit TYPE [--payload JSON|@FILE|@-] [--priority P] [--ordering-key KEY]
                          [--timeout SECONDS] [--max-attempts N] [--tenant T] [--isolation I] [--wait] [--json] [--api URL]

Submits a TYPE job (POST /jobs) and prints its id. With --wait, follows it to the end (a progress
line on stderr) and prints its result; the exit code says how it ended: 0 SUCCEEDED, 1 FAILED,
TIMED_OUT or CANCELLED.

  --payload          the job's input as JSON, @FILE to read it from a file, @- from stdin (default {})
  --priority         ${PRIORITIES.join(' | ')} (default normal)
  --ordering-key     jobs with the same key start one at a time, in submission order
  --timeout          seconds each attempt may run (default: the API's AGENT_RUNNER_DEFAULT_TIMEOUT_SECONDS)
  --max-attempts     attempts before the job fails (default: the API's AGENT_RUNNER_DEFAULT_MAX_ATTEMPTS)
  --tenant           whose job it is (default: the API's AGENT_RUNNER_DEFAULT_TENANT)
  --isolation        ${ISOLATIONS.join(' | ')}: a worker of its own, or a warm pool's (default: the job type's)
  --wait             wait until the job is SUCCEEDED, FAILED, TIMED_OUT or CANCELLED
${CLIENT_OPTIONS_USAGE}

example: agent-runner submit echo --payload '{"message":"hi"}' --wait`;

const OPTIONS = {
  payload: { type: 'string' },
  priority: { type: 'string' },
  'ordering-key': { type: 'string' },
  timeout: { type: 'string' },
  'max-attempts': { type: 'string' },
  tenant: { type: 'string' },
  isolation: { type: 'string' },
  wait: { type: 'boolean', default: false },
} as const;

export function run(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  return runClientCommand('submit', usage, async () => {
    const { values, positionals } = parseCommandArgs(argv, OPTIONS, { names: ['TYPE'] });
    const client = clientFor(values.api, env, values['api-key']);
    const request = submission(positionals[0]!, values);
    const job = await client.submitJob(request);
    if (!values.wait) {
      if (values.json) printJson(job);
      else {
        process.stdout.write(`${job.job_id}\n`);
        process.stderr.write(`queued ${job.job_type} job ${job.job_id} (priority ${job.priority})\n`);
      }
      return EXIT.ok;
    }

    const progress = progressLine();
    const final = await waitForJob(client, job.job_id, { onPoll: progress.show });
    progress.done(final);
    if (values.json) printJson(final);
    else if (final.status === 'SUCCEEDED') printJson(final.result ?? null);
    else if (final.error)
      process.stderr.write(`${final.error.kind}${final.error.handler ? ` in ${final.error.handler}` : ''}: ${final.error.message}\n`);
    return final.status === 'SUCCEEDED' ? EXIT.ok : EXIT.failed;
  });
}

interface SubmitFlags {
  payload?: string | undefined;
  priority?: string | undefined;
  'ordering-key'?: string | undefined;
  timeout?: string | undefined;
  'max-attempts'?: string | undefined;
  tenant?: string | undefined;
  isolation?: string | undefined;
}

function submission(jobType: string, values: SubmitFlags): SubmitJobRequest {
  const priority = PRIORITIES.find((p) => p === values.priority);
  if (values.priority !== undefined && priority === undefined) {
    throw new UsageError(`--priority must be one of ${PRIORITIES.join(', ')}, got "${values.priority}"`);
  }
  const isolation = ISOLATIONS.find((i) => i === values.isolation);
  if (values.isolation !== undefined && isolation === undefined) {
    throw new UsageError(`--isolation must be one of ${ISOLATIONS.join(', ')}, got "${values.isolation}"`);
  }
  const timeout = integerOption('timeout', values.timeout, 1, 7 * 24 * 3600);
  const maxAttempts = integerOption('max-attempts', values['max-attempts'], 1, 100);
  return {
    job_type: jobType,
    payload: readPayload(values.payload),
    ...(priority !== undefined && { priority }),
    ...(values['ordering-key'] !== undefined && { ordering_key: values['ordering-key'] }),
    ...(values.tenant !== undefined && { tenant: values.tenant }),
    ...(timeout !== undefined && { timeout_seconds: timeout }),
    ...(maxAttempts !== undefined && { max_attempts: maxAttempts }),
    ...(isolation !== undefined && { isolation }),
  };
}

function readPayload(option: string | undefined): JsonValue {
  if (option === undefined) return {};
  let text = option;
  let source = '--payload';
  if (option.startsWith('@')) {
    source = option === '@-' ? 'stdin' : option.slice(1);
    try {
      text = readFileSync(option === '@-' ? 0 : option.slice(1), 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read the payload from ${source}: ${(error as Error).message}`);
    }
  }
  try {
    return JSON.parse(text) as JsonValue;
  } catch (error) {
    throw new UsageError(`the payload from ${source} is not JSON: ${(error as Error).message}`);
  }
}

/** On a terminal, one line rewritten in place; otherwise a line whenever the status or attempt changes. */
function progressLine(): { show(job: JobView): void; done(job: JobView): void } {
  const tty = process.stderr.isTTY === true;
  const started = Date.now();
  let last = '';
  const describe = (job: JobView) => {
    const ran = runTimeMs(job, new Date());
    const attempt = job.attempt > 0 ? `, attempt ${job.attempt}/${job.max_attempts}` : '';
    return `${job.job_id} ${job.status}${attempt}${ran === null ? '' : `, running ${formatDuration(ran)}`} (waited ${formatDuration(Date.now() - started)})`;
  };
  return {
    show(job) {
      if (isTerminalStatus(job.status)) return; // done() says how it ended
      if (tty) process.stderr.write(`\r\x1b[2K${describe(job)}`);
      else {
        const key = `${job.status}/${job.attempt}`;
        if (key !== last) process.stderr.write(`${describe(job)}\n`);
        last = key;
      }
    },
    done(job) {
      const ran = runTimeMs(job, new Date());
      const line = `${job.job_id} ${job.status}${ran === null ? '' : ` after running ${formatDuration(ran)}`}`;
      process.stderr.write(tty ? `\r\x1b[2K${line}\n` : `${line}\n`);
    },
  };
}
