import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { deployStack, destroyStack, type StackTarget } from './cloudformation-stack.ts';
import { templateEnvironmentRefs } from './stack-template.ts';
import { formatStackStatus, JobsRunningError, pauseStack, resumeStack, stackStatus } from './stack-operations.ts';

const STACK_ENV = z.object({
  AWS_REGION: z.string().min(1).optional(),
  AWS_DEFAULT_REGION: z.string().min(1).optional(),
  AWS_ENDPOINT_URL: z.url().optional(),
});

export type StackCommandName = 'deploy' | 'destroy' | 'pause' | 'resume' | 'status';

export interface StackCommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** The answer to destroy's question (one line); null when nobody can answer. */
  ask: (question: string) => Promise<string | null>;
}

const processIo: StackCommandIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  ask: async (question) => {
    if (!process.stdin.isTTY) return null;
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return await new Promise<string>((resolve) => rl.question(question, resolve));
    } finally {
      rl.close();
    }
  },
};

class UsageError extends Error {}

/**
 * The stack commands: deploy, destroy, pause, resume, status. Exit codes: 0 done, 1 AWS refused or
 * failed (or pause refused while jobs run), 2 usage or configuration error.
 */
export async function runStackCommand(
  command: StackCommandName,
  argv: string[],
  env: Record<string, string | undefined>,
  io: StackCommandIo = processIo,
): Promise<number> {
  const fail = (code: number, message: string) => {
    io.stderr(`agent-runner ${command}: ${message}\n`);
    return code;
  };
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: {
        stack: { type: 'string' },
        image: { type: 'string' },
        param: { type: 'string', multiple: true },
        yes: { type: 'boolean' },
        'delete-data': { type: 'boolean' },
        force: { type: 'boolean' },
        json: { type: 'boolean' },
        'write-env': { type: 'string' },
      },
      strict: true,
    }).values;
    const allowed: Record<StackCommandName, string[]> = {
      deploy: ['stack', 'image', 'param', 'json', 'write-env'],
      destroy: ['stack', 'yes', 'delete-data'],
      pause: ['stack', 'force'],
      resume: ['stack'],
      status: ['stack', 'json'],
    };
    const stray = Object.keys(values).filter((key) => !allowed[command].includes(key));
    if (stray.length > 0) throw new UsageError(`${command} takes no --${stray.join(', --')}`);
    if (!values.stack) throw new UsageError('--stack NAME is required');
    if (!/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(values.stack)) throw new UsageError(`--stack: not a stack name: "${values.stack}"`);
  } catch (error) {
    return fail(2, (error as Error).message);
  }
  const parsed = STACK_ENV.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== '')));
  if (!parsed.success) return fail(2, parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join('; '));
  const region = parsed.data.AWS_REGION ?? parsed.data.AWS_DEFAULT_REGION;
  if (!region) return fail(2, 'AWS_REGION: required');
  const target: StackTarget = {
    region,
    endpoint: parsed.data.AWS_ENDPOINT_URL ?? null,
    stack: values.stack,
    progress: (line) => io.stderr(`${line}\n`),
  };
  try {
    switch (command) {
      case 'deploy': {
        const parameters: Record<string, string> = {};
        for (const pair of values.param ?? []) {
          const match = /^(\w+)=(.*)$/s.exec(pair);
          if (!match) return fail(2, `--param takes KEY=VALUE, got "${pair}"`);
          parameters[match[1]!] = match[2]!;
        }
        if (values.image) parameters.Image = values.image;
        const result = await deployStack(target, parameters, { defaultPrefix: values.stack });
        if (values['write-env']) {
          writeFileSync(values['write-env'], operatorEnv(result.outputs, region));
          io.stderr(`variables for the operator's commands (keys, tenants, submit) written to ${values['write-env']}\n`);
        }
        if (values.json) io.stdout(`${JSON.stringify(result, null, 2)}\n`);
        else {
          for (const [key, value] of Object.entries(result.outputs).sort(([a], [b]) => a.localeCompare(b)))
            io.stdout(`${key} = ${value}\n`);
          if (result.outputs.ServiceUrl) io.stdout(`\nThe API: ${result.outputs.ServiceUrl}\n`);
        }
        return 0;
      }
      case 'destroy': {
        if (!values.yes) {
          const what = values['delete-data']
            ? 'the stack AND its tables and bucket (every job, key and result)'
            : 'the stack (its tables and bucket are kept)';
          const answer = await io.ask(`Delete ${what} "${values.stack}"? Type the stack name to confirm: `);
          if (answer === null) return fail(2, 'nobody to confirm (no terminal): pass --yes');
          if (answer.trim() !== values.stack) return fail(1, 'not confirmed; nothing deleted');
        }
        const result = await destroyStack(target, { deleteData: Boolean(values['delete-data']) });
        const data = [...result.retained.tables, ...(result.retained.bucket ? [result.retained.bucket] : [])];
        if (result.dataDeleted) io.stdout(`stack ${values.stack} deleted, and its data: ${data.join(', ')}\n`);
        else
          io.stdout(`stack ${values.stack} deleted; kept (delete by hand, or destroy with --delete-data next time): ${data.join(', ')}\n`);
        return 0;
      }
      case 'pause': {
        const result = await pauseStack(target, { force: Boolean(values.force) });
        io.stdout(`paused: ${result.services.map((s) => `${s.name} → 0`).join(', ')}\n`);
        if (result.runningWorkers > 0)
          io.stdout(`${result.runningWorkers} worker task(s) still running finish their attempts on their own\n`);
        return 0;
      }
      case 'resume': {
        const result = await resumeStack(target);
        io.stdout(`resumed: ${result.services.map((s) => `${s.name} → ${s.desired}`).join(', ')}\n`);
        return 0;
      }
      case 'status': {
        const status = await stackStatus(target);
        io.stdout(values.json ? `${JSON.stringify(status, null, 2)}\n` : `${formatStackStatus(status)}\n`);
        return 0;
      }
    }
  } catch (error) {
    if (error instanceof JobsRunningError) return fail(1, error.message);
    return fail(1, `${(error as Error).name}: ${(error as Error).message}`);
  }
}

/**
 * Dotenv lines that point `keys`, `tenants` and the client commands at the deployed stack: each
 * variable the template's containers set from a table, queue or the bucket, read from the outputs of
 * the same name (`JobsTable`, `NormalQueueUrl`), and the API's URL. The process launcher: an operator's
 * machine launches nothing, so it needs none of the ECS settings.
 */
export function operatorEnv(outputs: Record<string, string>, region: string): string {
  const env: Record<string, string> = { AGENT_RUNNER_BACKEND: 'aws', AWS_REGION: region, AGENT_RUNNER_LAUNCHER: 'process' };
  for (const [variable, logicalId] of templateEnvironmentRefs()) {
    const value = outputs[logicalId] ?? outputs[`${logicalId}Url`];
    if (value !== undefined) env[variable] = value;
  }
  if (outputs.ServiceUrl) env.AGENT_RUNNER_API_URL = outputs.ServiceUrl;
  return `${Object.entries(env)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')}\n`;
}
