/**
 * The dashboard in headless Chromium against an API that requires keys: it asks for one, keeps it
 * in the tab's sessionStorage, sends it as a header, and follows a job's events with a stream token
 * — the key never appears in a URL.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { mintApiKey } from '@agent-runner/shared/auth/api-key-format.ts';
import { startSystem, type TestSystem } from '../support/system.ts';

const CHROMIUM = '/usr/bin/chromium';

describe('dashboard with AGENT_RUNNER_AUTH=required (headless Chromium, embedded)', {
  skip: Boolean(existsSync(CHROMIUM) ? false : `Chromium not found at ${CHROMIUM}`),
}, () => {
  let system: TestSystem;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  let key: string;

  beforeAll(async () => {
    system = await startSystem('embedded', { AGENT_RUNNER_AUTH: 'required' });
    system.startDispatcher();
    const minted = mintApiKey();
    key = minted.key;
    await system.backend.apiKeys.create({
      keyId: minted.keyId,
      tenant: 'web',
      name: null,
      scopes: ['submit', 'read', 'cancel'],
      hash: minted.hash,
      createdAt: new Date().toISOString(),
      lastUsedAt: null,
      revokedAt: null,
    });
    profile = mkdtempSync(join(tmpdir(), 'agent-runner-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    });
    page = context.pages()[0] ?? (await context.newPage());
  });
  afterAll(async () => {
    await context?.close();
    await system?.stop();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  test("asks for a key, then lists the tenant's jobs and streams a job's events with a stream token", async () => {
    const res = await fetch(`${system.url}/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ job_type: 'echo', payload: { message: 'seen with a key', sleep_ms: 300 } }),
    });
    assert.equal(res.status, 202);
    const job = (await res.json()) as { job_id: string };
    const urls: string[] = [];
    const authorized: string[] = [];
    page.on('request', (request) => {
      urls.push(request.url());
      if (request.headers().authorization === `Bearer ${key}`) authorized.push(new URL(request.url()).pathname);
    });

    await page.goto(system.url);
    await page.locator('#api-key').waitFor({ timeout: 10_000 });
    await page.locator('#api-key').fill(key);
    await page.locator('.key-prompt button').click();
    const row = page.locator(`#jobs-table tr[data-job-id="${job.job_id}"]`);
    await row.waitFor({ timeout: 15_000 });
    await row.click();
    await page.locator('#stream-state', { hasText: /ended \(SUCCEEDED\)/ }).waitFor({ timeout: 30_000 });
    assert.match((await page.locator('#detail-events').textContent()) ?? '', /attempt_succeeded/);

    assert.ok(authorized.includes('/jobs'), 'the key went as a header');
    const streams = urls.filter((u) => u.includes(`/jobs/${job.job_id}/events`));
    assert.ok(streams.length > 0 && streams.every((u) => /[?&]stream_token=/.test(u)), 'the stream opened with a token');
    assert.ok(
      urls.every((u) => !u.includes(key.slice(-32))),
      'the key is in no URL',
    );
    // After a reload the tab still has its key: no second question.
    await page.reload();
    await row.waitFor({ timeout: 15_000 });
    assert.equal(await page.locator('#api-key').count(), 0);
  });
});
