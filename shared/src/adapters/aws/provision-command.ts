import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { provisionAws } from './provision.ts';

const PROVISION_ENV = z.object({
  AWS_REGION: z.string().min(1).optional(),
  AWS_DEFAULT_REGION: z.string().min(1).optional(),
  AWS_ENDPOINT_URL: z.url().optional(),
  AGENT_RUNNER_NAME_PREFIX: z
    .string()
    .regex(/^[a-z0-9-]{1,30}$/)
    .default('agent-runner'),
  AGENT_RUNNER_WORKER_IMAGE: z.string().min(1).optional(),
  AGENT_RUNNER_ANTHROPIC_SECRET_NAME: z.string().min(1).optional(),
  // The pool service's scaling range. Not the process launcher's defaults (2 / 16): on ECS an idle
  // pool costs Fargate tasks, so it scales to zero unless told otherwise, as the template's PoolMinTasks.
  AGENT_RUNNER_POOL_MIN: z.coerce.number().int().min(0).max(1000).default(0),
  AGENT_RUNNER_POOL_MAX: z.coerce.number().int().min(1).max(1000).default(16),
});

/**
 * `agent-runner provision [--prefix P] [--write-env F] [--image I] [--bucket B] [--subnets a,b]
 * [--security-groups g] [--worker-env KEY=VALUE ...] [--no-ecs]`: provisions, then prints the variables (dotenv lines) or writes them to F.
 * Exit code 0 when everything exists, 2 for bad usage, 1 when AWS refused or failed.
 */
export async function runProvisionCommand(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        prefix: { type: 'string' },
        'write-env': { type: 'string' },
        image: { type: 'string' },
        bucket: { type: 'string' },
        subnets: { type: 'string' },
        'security-groups': { type: 'string' },
        'worker-env': { type: 'string', multiple: true },
        'no-ecs': { type: 'boolean' },
      },
      strict: true,
    }).values;
  } catch (error) {
    process.stderr.write(`agent-runner provision: ${(error as Error).message}\n`);
    return 2;
  }
  const parsed = PROVISION_ENV.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== '')));
  if (!parsed.success) {
    process.stderr.write(`agent-runner provision: ${parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join('; ')}\n`);
    return 2;
  }
  const region = parsed.data.AWS_REGION ?? parsed.data.AWS_DEFAULT_REGION;
  if (!region) {
    process.stderr.write('agent-runner provision: AWS_REGION: required\n');
    return 2;
  }
  if (parsed.data.AGENT_RUNNER_POOL_MIN > parsed.data.AGENT_RUNNER_POOL_MAX) {
    process.stderr.write('agent-runner provision: AGENT_RUNNER_POOL_MIN: must be at most AGENT_RUNNER_POOL_MAX\n');
    return 2;
  }
  const prefix = args.prefix ?? parsed.data.AGENT_RUNNER_NAME_PREFIX;
  if (!/^[a-z0-9-]{1,30}$/.test(prefix)) {
    process.stderr.write(`agent-runner provision: --prefix must be 1–30 of a-z 0-9 -, got "${prefix}"\n`);
    return 2;
  }
  const workerEnv: Record<string, string> = {};
  for (const pair of args['worker-env'] ?? []) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(pair);
    if (!match) {
      process.stderr.write(`agent-runner provision: --worker-env takes KEY=VALUE, got "${pair}"\n`);
      return 2;
    }
    workerEnv[match[1]!] = match[2]!;
  }
  const list = (s: string | undefined) =>
    s
      ?.split(',')
      .map((v) => v.trim())
      .filter(Boolean);
  try {
    const subnets = list(args.subnets);
    const securityGroups = list(args['security-groups']);
    const image = args.image ?? parsed.data.AGENT_RUNNER_WORKER_IMAGE;
    const { env: out } = await provisionAws({
      region,
      endpoint: parsed.data.AWS_ENDPOINT_URL ?? null,
      prefix,
      ...(image ? { workerImage: image } : {}),
      ...(args.bucket ? { bucket: args.bucket } : {}),
      ...(subnets ? { subnets } : {}),
      ...(securityGroups ? { securityGroups } : {}),
      ...(Object.keys(workerEnv).length > 0 ? { workerEnv } : {}),
      ...(args['no-ecs'] ? { ecs: false } : {}),
      pool: { min: parsed.data.AGENT_RUNNER_POOL_MIN, max: parsed.data.AGENT_RUNNER_POOL_MAX },
      ...(parsed.data.AGENT_RUNNER_ANTHROPIC_SECRET_NAME ? { anthropicSecretName: parsed.data.AGENT_RUNNER_ANTHROPIC_SECRET_NAME } : {}),
    });
    const lines =
      Object.entries(out)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n') + '\n';
    if (args['write-env']) {
      writeFileSync(args['write-env'], lines);
      process.stderr.write(`agent-runner provision: resources ready; variables written to ${args['write-env']}\n`);
    } else {
      process.stdout.write(lines);
    }
    return 0;
  } catch (error) {
    process.stderr.write(`agent-runner provision: ${(error as Error).name}: ${(error as Error).message}\n`);
    return 1;
  }
}
