import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { getJob } from '../../support/api-client.ts';
import { runCli } from '../../support/cli.ts';
import { startSystem, type TestSystem } from '../../support/system.ts';

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('agent-runner submit against the real API, dispatcher and workers (embedded backend)', () => {
  let system: TestSystem;
  let env: Record<string, string>;
  beforeAll(async () => {
    system = await startSystem('embedded');
    system.startDispatcher();
    env = { AGENT_RUNNER_API_URL: system.url };
  });
  afterAll(() => system.stop());

  test('--wait shows progress on stderr, prints the result and exits 0 when the job succeeds', async () => {
    const progress: string[] = [];
    const res = await runCli(['submit', 'echo', '--payload', '{"message":"hello cli","sleep_ms":600}', '--wait'], env, {
      onStderr: (c) => progress.push(c),
    });
    assert.equal(res.code, 0, res.stderr);
    assert.equal((JSON.parse(res.stdout) as { echoed_message: string }).echoed_message, 'hello cli');
    // Not a terminal: one line per status change, ending with the outcome.
    const lines = res.stderr.trim().split('\n');
    assert.match(lines.at(-2) ?? '', /^[0-9A-Z]{26} RUNNING, attempt 1\/3, running \d+(ms|\.\ds) \(waited /);
    assert.match(lines.at(-1) ?? '', /^[0-9A-Z]{26} SUCCEEDED after running \d/);
    assert.equal(new Set(lines).size, lines.length, 'a line per change, none repeated');
    assert.ok(progress.length >= 2, 'progress arrived while waiting, not all at the end');
  });

  test('--wait exits 1 and says why when the job fails; --json prints the final job', async () => {
    const res = await runCli(['submit', 'echo', '--payload', '{"message":"x","fail":"fatal"}', '--wait', '--json'], env);
    assert.equal(res.code, 1, res.stderr);
    const job = JSON.parse(res.stdout) as { status: string; error: { kind: string; message: string } };
    assert.equal(job.status, 'FAILED');
    assert.equal(job.error.kind, 'fatal');
    const text = await runCli(['submit', 'echo', '--payload', '{"message":"x","fail":"fatal"}', '--wait'], env);
    assert.equal(text.code, 1);
    assert.match(text.stderr, /^fatal in echo: echo was asked to fail \(fatal\)$/m);
  });

  test('without --wait: the job id alone on stdout; options reach the API; payload from a file and from stdin', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agent-runner-cli-'));
    try {
      const file = join(dir, 'payload.json');
      writeFileSync(file, '{"message":"from a file"}');
      const res = await runCli(
        [
          'submit',
          'echo',
          '--payload',
          `@${file}`,
          '--priority',
          'high',
          '--ordering-key',
          'k-1',
          '--timeout',
          '30',
          '--max-attempts',
          '2',
          '--tenant',
          'acme',
          '--isolation',
          'pooled',
        ],
        env,
      );
      assert.equal(res.code, 0, res.stderr);
      const id = res.stdout.trim();
      assert.match(id, /^[0-9A-HJKMNP-TV-Z]{26}$/);
      const job = await getJob(system.url, id);
      assert.deepEqual(
        [job.priority, job.ordering_key, job.timeout_seconds, job.max_attempts, job.tenant, job.isolation],
        ['high', 'k-1', 30, 2, 'acme', 'pooled'],
      );
      const piped = await runCli(['submit', 'echo', '--payload', '@-', '--json'], env, { stdin: '{"message":"from stdin"}' });
      assert.equal(piped.code, 0, piped.stderr);
      assert.equal((JSON.parse(piped.stdout) as { status: string }).status, 'QUEUED');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the API refusing the job (unknown type, bad payload) exits 1 with its explanation', async () => {
    const unknown = await runCli(['submit', 'no_such_type', '--payload', '{}'], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no_such_type/);
    const bad = await runCli(['submit', 'echo', '--payload', '{"message":5}'], env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /payload\.message/);
  });

  test('usage errors exit 2 with the usage; an unreachable API exits 3', async () => {
    for (const args of [
      ['submit'],
      ['submit', 'echo', '--payload', '{not json'],
      ['submit', 'echo', '--priority', 'urgent'],
      ['submit', 'echo', '--isolation', 'shared'],
      ['submit', 'echo', '--timeout', '-4'],
      ['submit', 'echo', '--bogus'],
      ['submit', 'echo', '--api', 'not a url'],
    ]) {
      const res = await runCli(args, env);
      assert.equal(res.code, 2, `${args.join(' ')}: ${res.stderr}`);
      assert.match(res.stderr, /usage: agent-runner submit TYPE/);
    }
    const down = await runCli(['submit', 'echo', '--payload', '{"message":"x"}', '--api', `http://127.0.0.1:${await closedPort()}`], {});
    assert.equal(down.code, 3);
    assert.match(down.stderr, /cannot reach the API at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
  });

  test('--help prints the usage and exits 0', async () => {
    const res = await runCli(['submit', '--help'], env);
    assert.equal(res.code, 0);
    assert.match(res.stdout, /--ordering-key/);
  });
});
