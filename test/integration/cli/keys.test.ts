import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { startApi, type RunningApi } from '@agent-runner/api/main.ts';
import { createLogger } from '@agent-runner/shared/observability/logger.ts';
import { backendsUnderTest, openBackend, type OpenedBackend } from '../../support/backends.ts';
import { runCli } from '../../support/cli.ts';

for (const target of backendsUnderTest()) {
  describe(`agent-runner keys, and client commands with a key (${target.name})`, () => {
    let opened: OpenedBackend;
    let api: RunningApi;
    let env: Record<string, string>;
    beforeAll(async () => {
      // Cache 0: a revocation shows on the next request, so the test needs no wait.
      opened = await openBackend(target, { AGENT_RUNNER_AUTH: 'required', AGENT_RUNNER_AUTH_CACHE_SECONDS: '0', AGENT_RUNNER_PORT: '0' });
      api = await startApi(opened.config, opened.backend, createLogger('api', 'silent'));
      env = { ...opened.env, AGENT_RUNNER_API_URL: api.url };
    });
    afterAll(async () => {
      await api.close();
      await opened.close();
    });

    test('create prints the key once; list and revoke show everything but the key; a revoked key is refused', async () => {
      const created = await runCli(['keys', 'create', '--tenant', 'acme', '--name', 'ci', '--scopes', 'submit,read', '--json'], env);
      assert.equal(created.code, 0, created.stderr);
      const key = JSON.parse(created.stdout) as { key_id: string; key: string; tenant: string; scopes: string[] };
      assert.deepEqual(Object.keys(key).sort(), ['key', 'key_id', 'scopes', 'tenant']);
      assert.match(key.key, new RegExp(`^ar_live_${key.key_id}_[A-Za-z0-9_-]{32}$`));
      assert.equal(key.tenant, 'acme');
      assert.deepEqual(key.scopes, ['submit', 'read']);

      const submitted = await runCli(['submit', 'echo', '--payload', '{"message":"with a key"}', '--json'], {
        ...env,
        AGENT_RUNNER_API_KEY: key.key,
      });
      assert.equal(submitted.code, 0, submitted.stderr);
      const job = JSON.parse(submitted.stdout) as { job_id: string; tenant: string; key_id: string };
      assert.equal(job.tenant, 'acme');
      assert.equal(job.key_id, key.key_id);
      const got = await runCli(['get', job.job_id, '--json', '--api-key', key.key], env);
      assert.equal(got.code, 0, got.stderr);
      const refused = await runCli(['get', job.job_id], env);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /API key/);
      const noScope = await runCli(['cancel', job.job_id, '--api-key', key.key], env);
      assert.equal(noScope.code, 1);
      assert.match(noScope.stderr, /"cancel" scope/);

      const listed = await runCli(['keys', 'list', '--tenant', 'acme', '--json'], env);
      assert.equal(listed.code, 0, listed.stderr);
      const records = JSON.parse(listed.stdout) as Record<string, unknown>[];
      assert.deepEqual(
        records.map((r) => r.key_id),
        [key.key_id],
      );
      assert.ok(!listed.stdout.includes(key.key.slice(-32)) && !('hash' in records[0]!), 'neither the key nor its hash is shown');
      assert.ok(records[0]!.last_used_at, 'the use is recorded');

      const revoked = await runCli(['keys', 'revoke', key.key_id], env);
      assert.equal(revoked.code, 0, revoked.stderr);
      assert.match(revoked.stdout, /revoked \d{4}-/);
      const after = await runCli(['get', job.job_id, '--api-key', key.key], env);
      assert.equal(after.code, 1);
      assert.match(after.stderr, /not valid/);
    });

    test('usage errors exit 2; revoking an unknown key exits 1', async () => {
      assert.equal((await runCli(['keys', 'create'], env)).code, 2);
      assert.equal((await runCli(['keys', 'create', '--tenant', 't', '--scopes', 'root'], env)).code, 2);
      assert.equal((await runCli(['keys', 'rotate'], env)).code, 2);
      const unknown = await runCli(['keys', 'revoke', '0123456789abcdef'], env);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /not found/);
    });
  });
}
