import { parseArgs } from 'node:util';
import { parseSubmitRate, TENANT_NAME, utcDayOf, type QuotaChanges } from '@agent-runner/shared/domain/tenant-quotas.ts';
import type { Backend } from '@agent-runner/shared/compose/backend.ts';
import type { Config } from '@agent-runner/shared/config/config.ts';
import { formatTenantList, formatTenantView, tenantView, type TenantView } from '../operator/tenant-view.ts';

export const summary = "set and show tenants' quotas (submission rate, queued jobs, daily budget)";
export const usage = `usage: agent-runner tenants set TENANT [--submit-rate RATE] [--max-queued N] [--budget-usd-per-day USD] [--json]
       agent-runner tenants get TENANT [--json]
       agent-runner tenants list [--json]

An operator's command: it reads and writes the tenant settings in the backend the AGENT_RUNNER_*
variables name (the SQLite file of AGENT_RUNNER_DATA_DIR, or the DynamoDB tenants table), not
through the API. API instances see a change within AGENT_RUNNER_TENANT_CACHE_SECONDS; running
workers at their next heartbeat.

  --submit-rate        POST /jobs per tenant: 20/s, 600/min, 1000/h or 5000/d (a token bucket that
                       holds that many); above it the API answers 429
  --max-queued         jobs of the tenant waiting in QUEUED at once; at it the API answers 429
  --budget-usd-per-day recorded Claude spend per UTC day: once reached, submits get 429 and running
                       Claude jobs stop before their next model call
Each takes "unlimited" (no limit for this tenant) or "default" (follow AGENT_RUNNER_TENANT_*);
a quota not named keeps its setting. get and list show what applies, which values were set for
the tenant, and its spend today.

Exit codes: 0 ok, 1 the store failed, 2 usage or configuration error.`;

class UsageError extends Error {}

export async function run(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  let parsed;
  try {
    parsed = parseTenantsArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`agent-runner tenants: ${error.message}\n\n${usage}\n`);
    return 2;
  }
  const { loadConfigOrReport } = await import('@agent-runner/shared/runtime/service-process.ts');
  const config = loadConfigOrReport(env, 'agent-runner tenants');
  if (!config) return 2;
  const { createBackend } = await import('@agent-runner/shared/compose/create-backend.ts');
  const backend = await createBackend(config);
  try {
    const views = await perform(parsed, backend, config);
    if (parsed.json) process.stdout.write(`${JSON.stringify(parsed.action === 'list' ? views : views[0], null, 2)}\n`);
    else process.stdout.write(`${parsed.action === 'list' ? formatTenantList(views) : formatTenantView(views[0]!)}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`agent-runner tenants: ${(error as Error).message}\n`);
    return 1;
  } finally {
    await backend.close();
  }
}

type Parsed =
  | { action: 'set'; tenant: string; changes: QuotaChanges; json: boolean }
  | { action: 'get'; tenant: string; json: boolean }
  | { action: 'list'; json: boolean };

async function perform(parsed: Parsed, backend: Backend, config: Config): Promise<TenantView[]> {
  const now = new Date();
  const day = utcDayOf(now);
  const view = async (tenant: string, settings: Awaited<ReturnType<Backend['tenants']['get']>>) =>
    tenantView(tenant, config.tenants.defaults, settings, { day, usd: await backend.tenantSpend.get(tenant, day) });
  switch (parsed.action) {
    case 'set':
      return [await view(parsed.tenant, await backend.tenants.update(parsed.tenant, parsed.changes, now))];
    case 'get':
      return [await view(parsed.tenant, await backend.tenants.get(parsed.tenant))];
    case 'list':
      return Promise.all((await backend.tenants.list()).map((settings) => view(settings.tenant, settings)));
  }
}

function parseTenantsArgs(argv: string[]): Parsed {
  let values;
  let positionals;
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: {
        'submit-rate': { type: 'string' },
        'max-queued': { type: 'string' },
        'budget-usd-per-day': { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      allowPositionals: true,
      strict: true,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const [action, tenant, extra] = positionals;
  const json = values.json;
  if (action === 'list') {
    if (tenant !== undefined) throw new UsageError(`unexpected argument "${tenant}"`);
    return { action, json };
  }
  if (action !== 'set' && action !== 'get')
    throw new UsageError(action ? `unknown action "${action}"` : 'missing the action: set, get or list');
  if (tenant === undefined) throw new UsageError('missing TENANT');
  if (!TENANT_NAME.test(tenant)) throw new UsageError(`TENANT must be 1 to 128 printable ASCII characters without spaces, got "${tenant}"`);
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`);
  const changes = quotaChanges(values);
  if (action === 'get') {
    if (Object.keys(changes).length > 0) throw new UsageError('get takes no quota options; use set');
    return { action, tenant, json };
  }
  if (Object.keys(changes).length === 0)
    throw new UsageError('set needs at least one of --submit-rate, --max-queued, --budget-usd-per-day');
  return { action, tenant, changes, json };
}

function quotaChanges(values: {
  'submit-rate'?: string | undefined;
  'max-queued'?: string | undefined;
  'budget-usd-per-day'?: string | undefined;
}): QuotaChanges {
  const changes: QuotaChanges = {};
  const rate = values['submit-rate'];
  if (rate !== undefined) {
    const parsed = rate === 'default' ? 'default' : parseSubmitRate(rate);
    if (typeof parsed === 'string' && parsed !== 'default') throw new UsageError(`--submit-rate: ${parsed}`);
    changes.submitRate = parsed;
  }
  const queued = values['max-queued'];
  if (queued !== undefined)
    changes.maxQueued = limit(
      '--max-queued',
      queued,
      (v) => (/^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 10_000_000 ? Number(v) : null),
      'a whole number from 1',
    );
  const budget = values['budget-usd-per-day'];
  if (budget !== undefined) {
    changes.budgetUsdPerDay = limit(
      '--budget-usd-per-day',
      budget,
      (v) => (/^\d+(\.\d+)?$/.test(v) && Number(v) > 0 && Number(v) <= 1_000_000 ? Number(v) : null),
      'an amount in USD above 0',
    );
  }
  return changes;
}

function limit(option: string, value: string, parse: (v: string) => number | null, expected: string): number | null | 'default' {
  if (value === 'default') return 'default';
  if (value === 'unlimited') return null;
  const n = parse(value);
  if (n === null) throw new UsageError(`${option} must be ${expected}, "unlimited" or "default", got "${value}"`);
  return n;
}
