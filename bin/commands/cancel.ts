import { CLIENT_OPTIONS_USAGE, EXIT, clientFor, parseCommandArgs, printJson, runClientCommand } from '../client/client-command.ts';

export const summary = 'cancel a job that has not finished';
export const usage = `usage: agent-runner cancel JOB_ID [--json] [--api URL] [--api-key KEY]

Cancels the job (POST /jobs/{id}/cancel). A queued job never starts; a running job's worker is
stopped by the dispatcher shortly after. Cancelling a finished job fails (exit 1).

${CLIENT_OPTIONS_USAGE}`;

export function run(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  return runClientCommand('cancel', usage, async () => {
    const { values, positionals } = parseCommandArgs(argv, {}, { names: ['JOB_ID'] });
    const job = await clientFor(values.api, env, values['api-key']).cancelJob(positionals[0]!);
    if (values.json) printJson(job);
    else process.stdout.write(`${job.job_id} ${job.status}\n`);
    return EXIT.ok;
  });
}
