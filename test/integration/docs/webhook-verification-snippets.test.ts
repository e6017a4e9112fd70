/**
 * The two verification snippets README's "Webhooks" section prints, run as printed (Node, then
 * Python 3) against deliveries signed by the `standardwebhooks` package — an implementation of the
 * Standard Webhooks spec independent of this repository's signing code. A snippet that drifted from
 * the spec, or a README edit that broke one, fails here.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, describe, test } from 'vitest';

const README = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

/** The first fenced block of `language` in README's `## Webhooks` section. */
function snippet(language: string): string {
  const start = README.indexOf('\n## Webhooks\n');
  assert.ok(start >= 0, 'README has a "## Webhooks" section');
  const end = README.indexOf('\n## ', start + 1);
  const section = README.slice(start, end < 0 ? undefined : end);
  const match = new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``).exec(section);
  assert.ok(match, `a \`\`\`${language} block in the Webhooks section`);
  return match[1]!;
}

const newSecret = () => `whsec_${randomBytes(24).toString('base64')}`;

interface Case {
  name: string;
  secret: string;
  headers: Record<string, string>;
  body: string;
  valid: boolean;
}

/** Deliveries signed by standardwebhooks, and what a correct verifier must say of each. */
function cases(): Case[] {
  const secret = newSecret();
  const previous = newSecret();
  const body = JSON.stringify({
    type: 'job.succeeded',
    timestamp: new Date().toISOString(),
    data: { result: { echoed_message: 'héllo ✓' } },
  });
  const now = new Date();
  const signed = (key: string, id: string, at: Date, payload: string) => new Webhook(key).sign(id, at, payload);
  const headers = (id: string, at: Date, signature: string) => ({
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signature,
  });
  const genuine = headers('msg_01', now, signed(secret, 'msg_01', now, body));
  const stale = new Date(now.getTime() - 10 * 60_000);
  const rotating = headers('msg_02', now, `${signed(secret, 'msg_02', now, body)} ${signed(previous, 'msg_02', now, body)}`);
  return [
    { name: 'a genuine delivery', secret, headers: genuine, body, valid: true },
    { name: 'a changed body', secret, headers: genuine, body: body.replace('héllo', 'hello'), valid: false },
    { name: 'one byte appended to the body', secret, headers: genuine, body: `${body} `, valid: false },
    { name: 'another secret', secret: newSecret(), headers: genuine, body, valid: false },
    { name: 'another id', secret, headers: { ...genuine, 'webhook-id': 'msg_99' }, body, valid: false },
    {
      name: 'a stale timestamp (10 min)',
      secret,
      headers: headers('msg_03', stale, signed(secret, 'msg_03', stale, body)),
      body,
      valid: false,
    },
    { name: 'during a rotation, by the new secret', secret, headers: rotating, body, valid: true },
    { name: 'during a rotation, by the previous secret', secret: previous, headers: rotating, body, valid: true },
    {
      name: 'a signature of another version',
      secret,
      headers: { ...genuine, 'webhook-signature': genuine['webhook-signature'].replace(/^v1,/, 'v2,') },
      body,
      valid: false,
    },
  ];
}

describe('README webhook verification snippets, against deliveries signed by standardwebhooks 1.1.1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agent-runner-webhook-snippets-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const all = cases();
  const expected = all.map((c) => [c.name, c.valid]);

  test('standardwebhooks itself accepts and refuses as the cases say (the cases are right)', () => {
    const verdicts = all.map((c) => {
      try {
        new Webhook(c.secret).verify(c.body, c.headers);
        return [c.name, true];
      } catch {
        return [c.name, false];
      }
    });
    // standardwebhooks accepts any signature version it can match; the spec's only version is v1.
    assert.deepEqual(
      verdicts.filter(([name]) => name !== 'a signature of another version'),
      expected.filter(([name]) => name !== 'a signature of another version'),
    );
  });

  test('the Node snippet (node:crypto only)', () => {
    const code = snippet('js');
    assert.doesNotMatch(code.replace(/from 'node:crypto'/, ''), /\bfrom\s+'|require\(/, 'imports nothing but node:crypto');
    const file = join(dir, 'verify.mjs');
    writeFileSync(
      file,
      `${code}\nconst cases = JSON.parse(await new Response(process.stdin).text());\n` +
        'process.stdout.write(JSON.stringify(cases.map((c) => [c.name, verifyWebhook(c.secret, c.headers, c.body)])));\n',
    );
    const out = spawnSync(process.execPath, [file], { input: JSON.stringify(all), encoding: 'utf8' });
    assert.equal(out.status, 0, out.stderr);
    assert.deepEqual(JSON.parse(out.stdout), expected);
  });

  test('the Python snippet (standard library only)', () => {
    const code = snippet('python');
    assert.match(code, /^import base64, hashlib, hmac, time\n/, 'imports only hmac, hashlib, base64 and time');
    assert.equal(code.match(/^\s*(import|from)\s/gm)?.length, 1, 'one import line');
    const file = join(dir, 'verify.py');
    writeFileSync(
      file,
      `${code}\nimport json, sys\ncases = json.load(sys.stdin)\n` +
        'print(json.dumps([[c["name"], verify_webhook(c["secret"], c["headers"], c["body"].encode())] for c in cases]))\n',
    );
    const out = spawnSync('python3', [file], { input: JSON.stringify(all), encoding: 'utf8' });
    assert.equal(out.status, 0, out.stderr);
    assert.deepEqual(JSON.parse(out.stdout), expected);
  });
});
