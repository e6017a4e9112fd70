import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { backendsUnderTest, openBackend, type OpenedBackend } from '../../support/backends.ts';
import { runCli } from '../../support/cli.ts';

interface EndpointView {
  endpoint_id: string;
  tenant: string;
  url: string;
  events: string[];
  disabled_at: string | null;
}

for (const target of backendsUnderTest()) {
  describe(`agent-runner webhooks (${target.name})`, () => {
    let opened: OpenedBackend;
    beforeAll(async () => {
      opened = await openBackend(target);
    });
    afterAll(() => opened?.close());

    const tenant = () => `cli-${randomUUID().slice(0, 8)}`;
    // IP literals: the machine may have no DNS, and a literal is checked without one.
    const cli = (args: string[], extra: Record<string, string> = {}) => runCli(['webhooks', ...args], { ...opened.env, ...extra });

    test('add, list and remove a tenant endpoint; what the store holds is what was asked', async () => {
      const t = tenant();
      const added = await cli(['add', '--tenant', t, 'https://93.184.215.14/hooks', '--events', 'job.failed,job.timed_out', '--json']);
      assert.equal(added.code, 0, added.stderr);
      const endpoint = JSON.parse(added.stdout) as EndpointView;
      assert.match(endpoint.endpoint_id, /^we_[0-9a-f]{16}$/);
      assert.deepEqual(
        { tenant: endpoint.tenant, url: endpoint.url, events: endpoint.events, disabled_at: endpoint.disabled_at },
        { tenant: t, url: 'https://93.184.215.14/hooks', events: ['job.failed', 'job.timed_out'], disabled_at: null },
      );
      const stored = await opened.backend.webhookEndpoints.get(endpoint.endpoint_id);
      assert.deepEqual(stored?.events, ['job.failed', 'job.timed_out']);

      const plain = await cli(['add', '--tenant', t, 'https://93.184.215.15/all']);
      assert.equal(plain.code, 0, plain.stderr);
      assert.match(
        plain.stdout,
        /^we_[0-9a-f]{16} {2}cli-\S+ {2}https:\/\/93\.184\.215\.15\/all {2}job\.succeeded,job\.failed,job\.timed_out,job\.cancelled {2}created \S+ {2}enabled\n$/,
      );

      await opened.backend.webhookEndpoints.disable(endpoint.endpoint_id, 'receiver answered 410 Gone', new Date());
      const listed = await cli(['list', '--tenant', t]);
      assert.equal(listed.code, 0, listed.stderr);
      const lines = listed.stdout.trim().split('\n');
      assert.equal(lines.length, 2);
      assert.match(lines[0]!, new RegExp(`^${endpoint.endpoint_id} .* disabled \\S+ \\(receiver answered 410 Gone\\)$`));

      const removed = await cli(['remove', '--tenant', t, endpoint.endpoint_id]);
      assert.equal(removed.code, 0, removed.stderr);
      assert.equal(removed.stdout, `removed ${endpoint.endpoint_id} from tenant ${t}\n`);
      const again = await cli(['remove', '--tenant', t, endpoint.endpoint_id]);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /has no webhook endpoint/);
      const left = JSON.parse((await cli(['list', '--tenant', t, '--json'])).stdout) as EndpointView[];
      assert.equal(left.length, 1);
      assert.equal(left[0]?.url, 'https://93.184.215.15/all');
    });

    test('a refused URL exits 1 saying why and adds nothing; AGENT_RUNNER_WEBHOOK_ALLOW_PRIVATE lets a private one in', async () => {
      const t = tenant();
      for (const [url, why] of [
        ['https://169.254.169.254/latest/meta-data/', /169\.254\.169\.254 is not a public address \(link-local\)/],
        ['https://localhost:8443/', /localhost resolves to .*loopback/],
        ['http://93.184.215.14/', /https: URL/],
        ['https://user:pw@93.184.215.14/', /user name or password/],
      ] as const) {
        const refused = await cli(['add', '--tenant', t, url]);
        assert.equal(refused.code, 1, url);
        assert.match(refused.stderr, why, url);
      }
      assert.deepEqual(await opened.backend.webhookEndpoints.list(t), []);
      const allowed = await cli(['add', '--tenant', t, 'http://127.0.0.1:9/'], {
        AGENT_RUNNER_WEBHOOK_ALLOW_PRIVATE: 'true',
        AGENT_RUNNER_WEBHOOK_ALLOW_HTTP: 'true',
      });
      assert.equal(allowed.code, 0, allowed.stderr);
      assert.equal((await opened.backend.webhookEndpoints.list(t)).length, 1);
    });

    test('secret show makes and shows the first secret; rotate prints a new one once, and both sign for the overlap', async () => {
      const t = tenant();
      const first = await cli(['secret', 'show', '--tenant', t]);
      assert.equal(first.code, 0, first.stderr);
      const original = first.stdout.trim();
      assert.match(original, /^whsec_[A-Za-z0-9+/]{43}=$/);
      assert.doesNotThrow(() => new Webhook(original), 'a secret standardwebhooks takes');
      assert.equal((await cli(['secret', 'show', '--tenant', t])).stdout.trim(), original, 'shown again, not made again');

      const rotated = await cli(['secret', 'rotate', '--tenant', t, '--json']);
      assert.equal(rotated.code, 0, rotated.stderr);
      const { secret } = JSON.parse(rotated.stdout) as { secret: string };
      assert.match(secret, /^whsec_/);
      assert.notEqual(secret, original);
      assert.deepEqual(await opened.backend.webhookSecrets.signingSecrets(t, new Date()), [secret, original], 'both sign, newest first');
      const shown = JSON.parse((await cli(['secret', 'show', '--tenant', t, '--json'])).stdout) as { secrets: string[] };
      assert.deepEqual(shown.secrets, [secret, original]);
      // Another tenant's secret is its own.
      assert.ok(!(await cli(['secret', 'show', '--tenant', tenant()])).stdout.includes(secret));

      const now = await cli(['secret', 'rotate', '--tenant', t, '--overlap-hours', '0']);
      assert.equal(now.code, 0, now.stderr);
      const latest = now.stdout.trim();
      assert.match(now.stderr, /previous secret keeps signing for 0 h/);
      assert.deepEqual(
        await opened.backend.webhookSecrets.signingSecrets(t, new Date()),
        [latest],
        'with no overlap only the new one signs',
      );
    });

    test('usage errors exit 2 and name the problem', async () => {
      const cases: [string[], RegExp][] = [
        [['add', 'https://93.184.215.14/'], /add needs --tenant/],
        [['add', '--tenant', 't'], /add takes one URL/],
        [['add', '--tenant', 't', 'https://93.184.215.14/', '--events', 'job.exploded'], /--events must name some of job\.succeeded/],
        [['remove', '--tenant', 't'], /remove takes one ENDPOINT_ID/],
        [['secret', 'leak', '--tenant', 't'], /unknown secret action "leak"/],
        [['secret', 'rotate', '--tenant', 't', '--overlap-hours', 'soon'], /--overlap-hours must be a number/],
        [['frobnicate', '--tenant', 't'], /unknown action "frobnicate"/],
      ];
      for (const [args, message] of cases) {
        const out = await cli(args);
        assert.equal(out.code, 2, args.join(' '));
        assert.match(out.stderr, message, args.join(' '));
      }
    });
  });
}
