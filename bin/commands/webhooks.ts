import { parseArgs } from 'node:util';
import { createBackend } from '@agent-runner/shared/compose/create-backend.ts';
import { NotFoundError, ValidationError } from '@agent-runner/shared/domain/errors.ts';
import { JOB_WEBHOOK_EVENTS, PIPELINE_WEBHOOK_EVENTS, type WebhookEvent } from '@agent-runner/shared/domain/webhook-target.ts';
import type { WebhookEndpoint } from '@agent-runner/shared/ports/webhook-endpoints.ts';
import { loadConfigOrReport } from '@agent-runner/shared/runtime/service-process.ts';
import { checkWebhookDestination } from '@agent-runner/shared/webhooks/webhook-destination.ts';
import { newWebhookEndpoint } from '@agent-runner/shared/webhooks/webhook-endpoint-record.ts';
import { rotateWebhookSecret, showWebhookSecrets } from '../operator/webhook-secret-actions.ts';

const EVENTS: readonly WebhookEvent[] = [...JOB_WEBHOOK_EVENTS, ...PIPELINE_WEBHOOK_EVENTS];
const DEFAULT_OVERLAP_HOURS = 24;

export const summary = "manage a tenant's default webhook endpoints and signing secret (in the backend the configuration names)";
export const usage = `usage: agent-runner webhooks add --tenant T URL [--events job.failed,job.timed_out] [--json]
       agent-runner webhooks list --tenant T [--json]
       agent-runner webhooks remove --tenant T ENDPOINT_ID
       agent-runner webhooks secret rotate --tenant T [--overlap-hours 24] [--json]
       agent-runner webhooks secret show --tenant T [--json]

Works on the deployment's store directly (the same AGENT_RUNNER_* configuration as the API), like
\`keys\` and \`tenants\`. Every job the tenant submits after \`add\` also reports to the endpoint
(events default to every terminal job event: ${JOB_WEBHOOK_EVENTS.join(', ')}; also
${PIPELINE_WEBHOOK_EVENTS.join(', ')}). The URL is checked as a job's webhook is: https (http only
with AGENT_RUNNER_WEBHOOK_ALLOW_HTTP=true), no credentials, a host that resolves to public
addresses only (unless AGENT_RUNNER_WEBHOOK_ALLOW_PRIVATE=true).

Every delivery to the tenant is signed with its secret (whsec_…, Standard Webhooks). \`secret rotate\`
makes a new one and prints it once; the previous one keeps signing beside it for --overlap-hours, so
receivers can switch without missing a delivery. \`secret show\` prints the secrets signing now (a
receiver needs one to verify): anyone with this deployment's store credentials can read them anyway
(HMAC needs the secret itself, so it cannot be stored as a hash); the HTTP API never shows them.

Exit codes: 0 ok, 1 no such endpoint or a refused URL, 2 usage or configuration error.`;

export async function run(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        tenant: { type: 'string' },
        events: { type: 'string' },
        'overlap-hours': { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    return usageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const [action, ...rest] = positionals;
  const tenant = values.tenant;
  if (action !== 'add' && action !== 'list' && action !== 'remove' && action !== 'secret')
    return usageError(action ? `unknown action "${action}"` : 'missing add, list, remove or secret');
  if (!tenant) return usageError(`${action} needs --tenant`);
  const wanted = { add: 1, list: 0, remove: 1, secret: 1 }[action];
  if (rest.length !== wanted)
    return usageError(
      {
        add: 'add takes one URL',
        list: 'list takes no argument',
        remove: 'remove takes one ENDPOINT_ID',
        secret: 'secret takes rotate or show',
      }[action],
    );
  const secretAction = action === 'secret' ? rest[0] : undefined;
  if (secretAction !== undefined && secretAction !== 'rotate' && secretAction !== 'show')
    return usageError(`unknown secret action "${secretAction}" (rotate or show)`);
  let events: WebhookEvent[] | undefined;
  if (values.events !== undefined) {
    if (action !== 'add') return usageError('--events goes with add');
    const named = values.events
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const unknown = named.filter((e) => !(EVENTS as readonly string[]).includes(e));
    if (named.length === 0 || unknown.length > 0) return usageError(`--events must name some of ${EVENTS.join(', ')}`);
    events = [...new Set(named)] as WebhookEvent[];
  }
  let overlapHours = DEFAULT_OVERLAP_HOURS;
  if (values['overlap-hours'] !== undefined) {
    if (secretAction !== 'rotate') return usageError('--overlap-hours goes with secret rotate');
    overlapHours = Number(values['overlap-hours']);
    if (!Number.isFinite(overlapHours) || overlapHours < 0 || overlapHours > 24 * 30)
      return usageError('--overlap-hours must be a number of hours from 0 to 720');
  }

  const config = loadConfigOrReport(env, 'agent-runner webhooks');
  if (!config) return 2;
  const backend = await createBackend(config);
  try {
    const endpoints = backend.webhookEndpoints;
    if (action === 'add') {
      const url = rest[0]!;
      await checkWebhookDestination(url, config.webhooks, 'URL');
      const endpoint = newWebhookEndpoint(tenant, url, events, new Date());
      await endpoints.add(endpoint);
      if (values.json) print(view(endpoint));
      else process.stdout.write(`${describe(endpoint)}\n`);
    } else if (action === 'list') {
      const listed = await endpoints.list(tenant);
      if (values.json) print(listed.map(view));
      else for (const e of listed) process.stdout.write(`${describe(e)}\n`);
    } else if (action === 'remove') {
      await endpoints.remove(tenant, rest[0]!);
      process.stdout.write(`removed ${rest[0]} from tenant ${tenant}\n`);
    } else if (secretAction === 'rotate') {
      await rotateWebhookSecret(backend.webhookSecrets, tenant, overlapHours, values.json);
    } else {
      await showWebhookSecrets(backend.webhookSecrets, tenant, values.json);
    }
    return 0;
  } catch (error) {
    if (!(error instanceof NotFoundError) && !(error instanceof ValidationError)) throw error;
    process.stderr.write(`agent-runner webhooks: ${error.message}\n`);
    return 1;
  } finally {
    await backend.close();
  }
}

function view(e: WebhookEndpoint) {
  return {
    endpoint_id: e.endpointId,
    tenant: e.tenant,
    url: e.url,
    events: e.events,
    created_at: e.createdAt,
    disabled_at: e.disabledAt,
    disabled_reason: e.disabledReason,
  };
}

function describe(e: WebhookEndpoint): string {
  const state = e.disabledAt ? `disabled ${e.disabledAt} (${e.disabledReason ?? 'no reason'})` : 'enabled';
  return `${e.endpointId}  ${e.tenant}  ${e.url}  ${e.events.join(',')}  created ${e.createdAt}  ${state}`;
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

function usageError(message: string): number {
  process.stderr.write(`agent-runner webhooks: ${message}\n\n${usage}\n`);
  return 2;
}
