import { CLIENT_OPTIONS_USAGE, EXIT, clientFor, parseCommandArgs, printJson, runClientCommand } from '../client/client-command.ts';
import { formatJobDetail } from '../client/format-job.ts';

export const summary = 'show a job: its status, attempts, error and result';
export const usage = `usage: agent-runner get JOB_ID [--json] [--api URL] [--api-key KEY]

Shows the job (GET /jobs/{id}): status, timings, every attempt, the error of a failed job and the
result of a succeeded one.

${CLIENT_OPTIONS_USAGE}`;

export function run(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  return runClientCommand('get', usage, async () => {
    const { values, positionals } = parseCommandArgs(argv, {}, { names: ['JOB_ID'] });
    const job = await clientFor(values.api, env, values['api-key']).getJob(positionals[0]!);
    if (values.json) printJson(job);
    else process.stdout.write(`${formatJobDetail(job, new Date())}\n`);
    return EXIT.ok;
  });
}
