import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { postJob, waitUntilTerminal } from '../../support/api-client.ts';
import { runCli } from '../../support/cli.ts';
import { startSystem, type TestSystem } from '../../support/system.ts';

describe('agent-runner get, list and cancel against the real API (embedded backend)', () => {
  let system: TestSystem;
  let env: Record<string, string>;
  beforeAll(async () => {
    system = await startSystem('embedded');
    env = { AGENT_RUNNER_API_URL: system.url };
  });
  afterAll(() => system.stop());

  test('get shows a succeeded job with its attempt and result; --json is the API view', async () => {
    system.startDispatcher();
    const job = await postJob(system.url, { job_type: 'echo', payload: { message: 'shown by get' } });
    await waitUntilTerminal(system.url, [job.job_id], 30_000);
    await system.stopDispatchers();

    const res = await runCli(['get', job.job_id], env);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, new RegExp(`^job: +${job.job_id}$`, 'm'));
    assert.match(res.stdout, /^status: +SUCCEEDED$/m);
    assert.match(res.stdout, /^ {2}1 +SUCCEEDED +pid:\d+/m);
    assert.match(res.stdout, /"echoed_message": "shown by get"/);
    const json = await runCli(['get', job.job_id, '--json'], env);
    assert.equal((JSON.parse(json.stdout) as { job_id: string; status: string }).status, 'SUCCEEDED');
  });

  test('list prints a table newest first, filters by status and type, pages with --cursor', async () => {
    const queued = [];
    for (let i = 0; i < 3; i++) queued.push(await postJob(system.url, { job_type: 'sleep', payload: { ms: 1 } }));
    const table = await runCli(['list', '--type', 'sleep'], env);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trim().split('\n');
    assert.match(lines[0]!, /^JOB ID +TYPE +STATUS +PRIORITY +AGE +DURATION +ATTEMPT$/);
    assert.deepEqual(
      lines.slice(1).map((l) => l.split(/ +/)[0]),
      queued.map((j) => j.job_id).reverse(),
    );
    for (const line of lines.slice(1)) assert.match(line, /sleep +QUEUED +normal +\S+ +- +0\/3$/);

    const page = await runCli(['list', '--status', 'queued', '--type', 'sleep', '--limit', '2', '--json'], env);
    const first = JSON.parse(page.stdout) as { jobs: { job_id: string }[]; next_cursor: string | null };
    assert.equal(first.jobs.length, 2);
    assert.ok(first.next_cursor);
    const more = await runCli(['list', '--status', 'QUEUED', '--type', 'sleep', '--limit', '2'], env);
    assert.match(more.stderr, /^more: agent-runner list --status QUEUED --type sleep --limit 2 --cursor \S+$/m);
    const second = await runCli(['list', '--type', 'sleep', '--limit', '2', '--cursor', first.next_cursor, '--json'], env);
    assert.deepEqual(
      (JSON.parse(second.stdout) as { jobs: { job_id: string }[] }).jobs.map((j) => j.job_id),
      [queued[0]!.job_id],
    );

    const none = await runCli(['list', '--status', 'TIMED_OUT'], env);
    assert.equal(none.stdout.trim(), 'no jobs');
  });

  test('cancel cancels a queued job (exit 0); cancelling it again fails (exit 1) and says why', async () => {
    const job = await postJob(system.url, { job_type: 'sleep', payload: { ms: 1 } });
    const res = await runCli(['cancel', job.job_id], env);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout.trim(), `${job.job_id} CANCELLED`);
    const again = await runCli(['cancel', job.job_id], env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already CANCELLED/);
  });

  test('an unknown job exits 1; wrong arguments exit 2', async () => {
    const missing = await runCli(['get', '01ARZ3NDEKTSV4RRFFQ69G5FAV'], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /not found/);
    for (const args of [
      ['get'],
      ['get', 'a', 'b'],
      ['cancel'],
      ['list', '--status', 'DONE'],
      ['list', '--limit', '500'],
      ['list', 'extra'],
    ]) {
      const res = await runCli(args, env);
      assert.equal(res.code, 2, `${args.join(' ')}: ${res.stderr}`);
      assert.match(res.stderr, /usage: agent-runner/);
    }
  });
});
