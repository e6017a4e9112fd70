import { parseArgs } from 'node:util';
import { mintApiKey } from '@agent-runner/shared/auth/api-key-format.ts';
import { createBackend } from '@agent-runner/shared/compose/create-backend.ts';
import { NotFoundError } from '@agent-runner/shared/domain/errors.ts';
import { API_KEY_SCOPES, type ApiKeyRecord, type ApiKeyScope } from '@agent-runner/shared/ports/api-keys.ts';
import { loadConfigOrReport } from '@agent-runner/shared/runtime/service-process.ts';

export const summary = 'create, list and revoke API keys (in the backend the configuration names)';
export const usage = `usage: agent-runner keys create --tenant T [--name N] [--scopes submit,read,cancel,admin] [--json]
       agent-runner keys list [--tenant T] [--json]
       agent-runner keys revoke KEY_ID [--json]

Works on the deployment's store directly (the same AGENT_RUNNER_* configuration as the API), not
through the API. \`create\` prints the key once: only its SHA-256 is stored, so it cannot be shown
again. Scopes (default submit,read,cancel): submit jobs, read jobs/events/usage, cancel jobs;
admin does all of these for every tenant. A revoked key stops working on every API instance within
AGENT_RUNNER_AUTH_CACHE_SECONDS (default 5 s).

  --json             create: {"key_id","key","tenant","scopes"}; list/revoke: the records (never a key)

Exit codes: 0 ok, 1 the key does not exist, 2 usage or configuration error.`;

const DEFAULT_SCOPES: ApiKeyScope[] = ['submit', 'read', 'cancel'];

export async function run(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        tenant: { type: 'string' },
        name: { type: 'string' },
        scopes: { type: 'string' },
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
  if (action !== 'create' && action !== 'list' && action !== 'revoke')
    return usageError(action ? `unknown action "${action}"` : 'missing create, list or revoke');
  if (action === 'revoke' ? rest.length !== 1 : rest.length !== 0)
    return usageError(action === 'revoke' ? 'revoke takes one KEY_ID' : `unexpected argument "${rest[0]}"`);
  let scopes = DEFAULT_SCOPES;
  if (action === 'create') {
    if (!values.tenant) return usageError('create needs --tenant');
    if (values.scopes !== undefined) {
      const named = values.scopes
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const unknown = named.filter((s) => !(API_KEY_SCOPES as readonly string[]).includes(s));
      if (named.length === 0 || unknown.length > 0) return usageError(`--scopes must name some of ${API_KEY_SCOPES.join(', ')}`);
      scopes = [...new Set(named)] as ApiKeyScope[];
    }
  }

  const config = loadConfigOrReport(env, 'agent-runner keys');
  if (!config) return 2;
  const backend = await createBackend(config);
  try {
    const keys = backend.apiKeys;
    if (action === 'create') {
      const minted = mintApiKey();
      const record: ApiKeyRecord = {
        keyId: minted.keyId,
        tenant: values.tenant!,
        name: values.name ?? null,
        scopes,
        hash: minted.hash,
        createdAt: new Date().toISOString(),
        lastUsedAt: null,
        revokedAt: null,
      };
      await keys.create(record);
      if (values.json) print({ key_id: record.keyId, key: minted.key, tenant: record.tenant, scopes: record.scopes });
      else {
        process.stdout.write(`${minted.key}\n`);
        process.stderr.write(`key ${record.keyId} for tenant ${record.tenant} (${scopes.join(',')}): shown once, store it now\n`);
      }
    } else if (action === 'list') {
      const records = await keys.list(values.tenant !== undefined ? { tenant: values.tenant } : {});
      if (values.json) print(records.map(view));
      else for (const r of records) process.stdout.write(`${describe(r)}\n`);
    } else {
      const record = await keys.revoke(rest[0]!, new Date());
      if (values.json) print(view(record));
      else process.stdout.write(`${describe(record)}\n`);
    }
    return 0;
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    process.stderr.write(`agent-runner keys: ${error.message}\n`);
    return 1;
  } finally {
    await backend.close();
  }
}

/** A record as shown: everything but the hash. */
function view(r: ApiKeyRecord) {
  return {
    key_id: r.keyId,
    tenant: r.tenant,
    name: r.name,
    scopes: r.scopes,
    created_at: r.createdAt,
    last_used_at: r.lastUsedAt,
    revoked_at: r.revokedAt,
  };
}

function describe(r: ApiKeyRecord): string {
  const state = r.revokedAt ? `revoked ${r.revokedAt}` : `last used ${r.lastUsedAt ?? 'never'}`;
  return `${r.keyId}  ${r.tenant}  ${r.scopes.join(',')}  ${r.name ?? '-'}  created ${r.createdAt}  ${state}`;
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

function usageError(message: string): number {
  process.stderr.write(`agent-runner keys: ${message}\n\n${usage}\n`);
  return 2;
}
