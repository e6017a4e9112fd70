import { JOB_STATUSES } from '@agent-runner/shared/domain/job-status.ts';
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
import { formatJobTable } from '../client/format-job.ts';

export const summary = 'list jobs, newest first (filter by status and type)';
export const usage = `usage: agent-runner list [--status STATUS] [--type TYPE] [--limit N] [--cursor C] [--json] [--api URL] [--api-key KEY]

Lists jobs newest first (GET /jobs) as a table: id, type, status, priority, age, run time, attempt.
When there are more, the command for the next page goes to stderr.

  --status           ${JOB_STATUSES.join(' | ')}
  --type             only jobs of this type
  --limit            jobs per page, 1 to 100 (default 20)
  --cursor           the next page, from the previous page
${CLIENT_OPTIONS_USAGE}`;

const OPTIONS = {
  status: { type: 'string' },
  type: { type: 'string' },
  limit: { type: 'string' },
  cursor: { type: 'string' },
} as const;

export function run(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  return runClientCommand('list', usage, async () => {
    const { values } = parseCommandArgs(argv, OPTIONS, { names: [] });
    const status = values.status?.toUpperCase();
    if (status !== undefined && !(JOB_STATUSES as readonly string[]).includes(status)) {
      throw new UsageError(`--status must be one of ${JOB_STATUSES.join(', ')}, got "${values.status}"`);
    }
    const limit = integerOption('limit', values.limit, 1, 100);
    const page = await clientFor(values.api, env, values['api-key']).listJobs({
      ...(status !== undefined && { status }),
      ...(values.type !== undefined && { jobType: values.type }),
      ...(limit !== undefined && { limit }),
      ...(values.cursor !== undefined && { cursor: values.cursor }),
    });
    if (values.json) {
      printJson(page);
      return EXIT.ok;
    }
    process.stdout.write(`${formatJobTable(page.jobs, new Date())}\n`);
    if (page.next_cursor) {
      const again = argv.filter((a, i) => a !== '--cursor' && argv[i - 1] !== '--cursor' && !a.startsWith('--cursor='));
      process.stderr.write(`more: agent-runner list ${[...again, '--cursor', page.next_cursor].join(' ')}\n`);
    }
    return EXIT.ok;
  });
}
