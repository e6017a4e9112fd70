/**
 * The dashboard in headless Chromium against the real system on the embedded backend: the real
 * API, a dispatcher, workers as child processes, Claude jobs answered by the fake Messages API.
 * Leaves a screenshot at test-artifacts/dashboard.png.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ulid } from '@agent-runner/shared/domain/ids.ts';
import { createJobRecord } from '@agent-runner/shared/domain/job.ts';
import { postJob, waitUntilTerminal } from '../support/api-client.ts';
import { reply, startFakeAnthropic, type FakeAnthropic } from '../support/fake-anthropic.ts';
import { skipWithout } from '../support/required-tool.ts';
import { startSystem, type TestSystem } from '../support/system.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const REPLY =
  'Queues decouple the API from the workers. A job waits in its priority queue until the dispatcher has capacity, ' +
  'then one worker runs it and exits. Nothing is lost when a worker dies: the reaper puts the job back.';

describe('dashboard (headless Chromium, real API on the embedded backend)', {
  skip: skipWithout(CHROMIUM, 'apt-get install chromium; .ci/run installs it'),
}, () => {
  let fake: FakeAnthropic;
  let system: TestSystem;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  let url: string;

  beforeAll(async () => {
    fake = await startFakeAnthropic({ apiKey: 'sk-dashboard' });
    system = await startSystem('embedded', { ANTHROPIC_BASE_URL: fake.url, ANTHROPIC_API_KEY: 'sk-dashboard' });
    system.startDispatcher();

    url = system.url;

    profile = mkdtempSync(join(tmpdir(), 'agent-runner-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 900 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = context.pages()[0] ?? (await context.newPage());
  });

  /** The cost cell of a job's row in the jobs table. */
  const costCell = (jobId: string) => page.locator(`#jobs-table tr[data-job-id="${jobId}"] td`).nth(7);

  afterAll(async () => {
    await context?.close();
    await system?.stop();
    await fake?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  test('a Claude job: listed, opened, its text streams in live, then SUCCEEDED with its result, attempt and cost', async () => {
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });

    const echo = await postJob(system.url, { job_type: 'echo', payload: { message: 'hello dashboard' } });
    const failed = await postJob(system.url, { job_type: 'echo', payload: { message: 'x', fail: 'fatal' } });
    await waitUntilTerminal(system.url, [echo.job_id, failed.job_id], 30_000);
    // Each word a delta, 120 ms apart: the reply takes ~4 s to stream.
    fake.enqueue(reply.text(REPLY, { eventDelayMs: 120, usage: { input_tokens: 900, output_tokens: 60 } }));
    const chat = await postJob(system.url, { job_type: 'claude_chat', payload: { prompt: 'Why queues?' } });

    await page.goto(url);
    const row = page.locator(`#jobs-table tr[data-job-id="${chat.job_id}"]`);
    await row.waitFor({ timeout: 15_000 });
    assert.equal(await page.locator(`#jobs-table tr[data-job-id="${echo.job_id}"] .badge`).textContent(), 'SUCCEEDED');
    assert.equal(await page.locator(`#jobs-table tr[data-job-id="${failed.job_id}"] .badge`).textContent(), 'FAILED');
    assert.equal(await page.locator('#depth tbody tr').count(), 4, 'a depth row per priority');

    await row.click();
    await page.locator('#detail').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#detail-title').textContent(), chat.job_id);

    // Live: part of the reply is on the page while the job is still running.
    const output = page.locator('#detail-output');
    // Locators, not page functions: the page's Content-Security-Policy forbids evaluating strings.
    await output.filter({ hasText: /\S/ }).waitFor({ timeout: 20_000 });
    const partial = (await output.textContent()) ?? '';
    assert.ok(partial.length < REPLY.length, `only part of the reply has arrived (${partial.length} of ${REPLY.length} characters)`);
    assert.ok(REPLY.startsWith(partial), 'deltas arrive in order');
    assert.match(
      (await page.locator('#jobs-table tr[data-job-id="' + chat.job_id + '"] .badge').textContent()) ?? '',
      /DISPATCHED|RUNNING/,
    );

    await page.locator('#detail-status[data-status="SUCCEEDED"]').waitFor({ timeout: 30_000 });
    await page.locator('#detail-result:not([hidden])').waitFor();
    assert.equal(await output.textContent(), REPLY, 'every delta once, in order');
    // The stream's `end` event can arrive just after the detail's own poll saw SUCCEEDED.
    await page.locator('#stream-state', { hasText: /ended \(SUCCEEDED\)/ }).waitFor({ timeout: 10_000 });
    assert.match((await page.locator('#stream-state').textContent()) ?? '', /ended \(SUCCEEDED\)/);
    const result = JSON.parse((await page.locator('#detail-result pre').textContent()) ?? '{}') as { response?: string; cost_usd?: number };
    assert.equal(result.response, REPLY);
    assert.equal(await page.locator('#detail-attempts tbody tr').count(), 1);
    assert.equal(await page.locator('#detail-attempts tbody tr .badge').textContent(), 'SUCCEEDED');
    assert.match((await page.locator('#detail-fields dd[data-field="cost"]').textContent()) ?? '', /^\$\d+\.\d{4}$/);
    assert.match((await page.locator('#detail-events').textContent()) ?? '', /model_call/);
    assert.equal(await page.locator('#detail-cancel').isHidden(), true, 'no cancel button on a finished job');
    // The list caught up with the job's end on its own (auto-refresh).
    await page.locator(`#jobs-table tr[data-job-id="${chat.job_id}"] .badge`, { hasText: 'SUCCEEDED' }).waitFor({ timeout: 10_000 });
    // The table's cost column says what the detail says.
    assert.equal(await costCell(chat.job_id).textContent(), await page.locator('#detail-fields dd[data-field="cost"]').textContent());

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
    assert.deepEqual(pageErrors, []);
  });

  test('the status filter narrows the table and survives a reload; a failed job shows its error', async () => {
    await page.selectOption('#filter-status', 'FAILED');
    await page.locator('#jobs-table tbody tr:not([data-status="FAILED"])').first().waitFor({ state: 'detached' });
    await page.locator('#jobs-table tbody tr[data-status="FAILED"]').first().waitFor();
    assert.match(page.url(), /\?status=FAILED/);
    await page.reload();
    assert.equal(await page.locator('#filter-status').inputValue(), 'FAILED');
    await page.locator('#jobs-table tbody tr').first().click();
    await page.locator('#detail-error:not([hidden])').waitFor();
    assert.equal(await page.locator('#detail-error pre').textContent(), 'fatal in echo: echo was asked to fail (fatal)');
    assert.match(page.url(), /#job=[0-9A-Z]{26}$/);
  });

  test('a queued job can be cancelled from its detail', async () => {
    await system.stopDispatchers();
    const job = await postJob(system.url, { job_type: 'sleep', payload: { ms: 10 } });
    await page.goto(`${url}/#job=${job.job_id}`);
    await page.locator('#detail-status[data-status="QUEUED"]').waitFor();
    await page.locator('#detail-cancel').click();
    await page.locator('#detail-status[data-status="CANCELLED"]').waitFor();
    assert.equal(await page.locator('#detail-cancel').isHidden(), true);
  });

  test('a Claude job recorded before usage was: its cost (only in its result) is in the table as in its detail', async () => {
    const now = new Date();
    const record = createJobRecord(
      ulid(now),
      {
        jobType: 'claude_chat',
        payload: { prompt: 'hi' },
        priority: 'normal',
        tenant: 'default',
        orderingKey: null,
        maxAttempts: 3,
        timeoutSeconds: 60,
      },
      now,
      { payload: { prompt: 'hi' }, payloadRef: null },
    );
    await system.backend.jobs.create({
      ...record,
      status: 'SUCCEEDED',
      startedAt: now.toISOString(),
      finishedAt: now.toISOString(),
      usage: null,
      result: { response: 'hello', cost_usd: 0.0024 },
    });

    await page.goto(url);
    await costCell(record.jobId).waitFor({ timeout: 15_000 });
    assert.equal(await costCell(record.jobId).textContent(), '$0.0024');
    await page.locator(`#jobs-table tr[data-job-id="${record.jobId}"]`).click();
    await page.locator('#detail-status[data-status="SUCCEEDED"]').waitFor();
    assert.equal(await page.locator('#detail-fields dd[data-field="cost"]').textContent(), '$0.0024');
  });

  test('a worker told to stop mid-attempt: its attempt_stopped event is shown', async () => {
    system.startDispatcher(); // the test before stopped them
    const job = await postJob(system.url, { job_type: 'sleep', payload: { ms: 60_000 } });
    // From another page: a change of the #job= fragment alone would not load the page again.
    await page.goto('about:blank');
    await page.goto(`${url}/#job=${job.job_id}`);
    await page.locator('#detail-events li[data-type="attempt_started"]').waitFor({ state: 'attached', timeout: 20_000 });
    const running = (await (await fetch(`${system.url}/jobs/${job.job_id}`)).json()) as { attempts: { worker_ref: string | null }[] };
    const pid = Number(/^pid:(\d+)/.exec(running.attempts[0]?.worker_ref ?? '')?.[1]);
    assert.ok(pid > 0, `a process worker (${running.attempts[0]?.worker_ref})`);
    // What ECS StopTask and the process launcher's stop send first.
    process.kill(pid, 'SIGTERM');
    await page.locator('#detail-events li[data-type="attempt_stopped"]').waitFor({ state: 'attached', timeout: 20_000 });
    assert.match(
      (await page.locator('#detail-events li[data-type="attempt_stopped"]').textContent()) ?? '',
      /#1 attempt_stopped \{"attempt":1\}/,
    );
    await fetch(`${system.url}/jobs/${job.job_id}/cancel`, { method: 'POST' });
  });

  test('a job of a pipeline shows the pipeline as its steps with their states, each one a click away', async () => {
    const job = await postJob(system.url, {
      job_type: 'echo',
      payload: { message: 'first' },
      // biome-ignore lint/suspicious/noThenProperty: POST /jobs names the field `then`; this body is never awaited.
      then: [{ job_type: 'echo', payload: { message: { $from: 'job', pointer: '/echoed_message' } } }],
    });
    await page.goto('about:blank');
    await page.goto(`${url}/#job=${job.job_id}`);
    await page.locator('#detail-pipeline:not([hidden])').waitFor();
    await page.locator('#detail-pipeline-status[data-status="SUCCEEDED"]').waitFor({ timeout: 30_000 });
    assert.deepEqual(await page.locator('#detail-pipeline-steps li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-step'))), [
      'job',
      'then-1',
    ]);
    assert.match((await page.locator('#detail-pipeline-steps li[data-step="then-1"]').textContent()) ?? '', /SUCCEEDED then-1 needs job/);
    await page.locator('#detail-pipeline-steps li[data-step="then-1"] a').click();
    const pipeline = job.pipeline as { link: string };
    const second = ((await (await fetch(`${system.url}${pipeline.link}`)).json()) as { steps: { job_id: string }[] }).steps[1]!;
    await page.locator(`#detail-title:text("${second.job_id}")`).waitFor();
  });
});
