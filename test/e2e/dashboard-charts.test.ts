/**
 * The dashboard's charts of the last hours in headless Chromium, on the embedded backend: the bars
 * drawn are the jobs this test ran (ends by outcome, jobs waiting by priority, spend of Claude plus
 * compute). Leaves a screenshot at test-artifacts/dashboard-charts.png (docs/ keeps a copy).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { postJob, waitUntilTerminal } from '../support/api-client.ts';
import { skipWithout } from '../support/required-tool.ts';
import { startSystem, type TestSystem } from '../support/system.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

describe('dashboard charts (headless Chromium, embedded backend)', { skip: skipWithout(CHROMIUM, 'apt-get install chromium') }, () => {
  let system: TestSystem;
  let context: BrowserContext;
  let page: Page;
  let profile: string;

  beforeAll(async () => {
    // A compute price, so the spend chart has something to draw without a Claude call.
    system = await startSystem('embedded', { AGENT_RUNNER_FARGATE_PRICE_VCPU_HOUR: '36', AGENT_RUNNER_FARGATE_PRICE_GB_HOUR: '3.6' });
    system.startDispatcher();
    profile = mkdtempSync(join(tmpdir(), 'agent-runner-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 900 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'],
    });
    page = context.pages()[0] ?? (await context.newPage());
  });
  afterAll(async () => {
    await context?.close();
    await system?.stop();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  /** The chart's bar segments: [series, at, value]. */
  async function bars(chart: string): Promise<{ series: string; at: string; value: number }[]> {
    const rects = page.locator(`#chart-${chart} rect`);
    const out = [];
    for (let i = 0; i < (await rects.count()); i++) {
      const rect = rects.nth(i);
      out.push({
        series: (await rect.getAttribute('data-series')) ?? '',
        at: (await rect.getAttribute('data-at')) ?? '',
        value: Number(await rect.getAttribute('data-value')),
      });
    }
    return out;
  }
  const sumBy = (rows: { series: string; value: number }[]) => {
    const sums: Record<string, number> = {};
    for (const r of rows) sums[r.series] = Math.round(((sums[r.series] ?? 0) + r.value) * 1e9) / 1e9;
    return sums;
  };

  test('the bars are the jobs that ran, the jobs waiting, and what they cost', async () => {
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    // The page's Content-Security-Policy reports what it blocks (an inline style) as a console error.
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });

    const ended = await Promise.all([
      postJob(system.url, { job_type: 'echo', payload: { message: 'a' } }),
      postJob(system.url, { job_type: 'echo', payload: { message: 'b' } }),
      postJob(system.url, { job_type: 'echo', payload: { message: 'c' } }),
      postJob(system.url, { job_type: 'echo', payload: { message: 'd', fail: 'fatal' } }),
    ]);
    const done = await waitUntilTerminal(
      system.url,
      ended.map((j) => j.job_id),
      60_000,
    );
    // Now nothing is dispatched: these wait, and one is cancelled while it waits.
    await system.stopDispatchers();
    await postJob(system.url, { job_type: 'echo', priority: 'high', payload: { message: 'e' } });
    await postJob(system.url, { job_type: 'echo', payload: { message: 'f' } });
    await postJob(system.url, { job_type: 'echo', payload: { message: 'g' } });
    const cancelled = await postJob(system.url, { job_type: 'echo', priority: 'low', payload: { message: 'h' } });
    assert.equal((await fetch(`${system.url}/jobs/${cancelled.job_id}/cancel`, { method: 'POST' })).status, 202);

    await page.goto(system.url);
    await page.locator('#chart-finished rect').first().waitFor({ timeout: 20_000 });

    assert.deepEqual(sumBy(await bars('finished')), { SUCCEEDED: 3, FAILED: 1, CANCELLED: 1 });

    // The last point of the depth chart is now: 2 normal and 1 high waiting.
    const depth = await bars('depth');
    const last = depth
      .map((b) => b.at)
      .sort()
      .at(-1);
    assert.deepEqual(sumBy(depth.filter((b) => b.at === last)), { high: 1, normal: 2 });

    const recorded = done.reduce((sum, j) => sum + Number((j as unknown as { compute_cost_usd: number | null }).compute_cost_usd ?? 0), 0);
    assert.ok(recorded > 0);
    const spend = sumBy(await bars('spend'));
    assert.equal(spend.compute_usd, Math.round(recorded * 1e9) / 1e9);
    assert.equal(spend.claude_usd, undefined, 'no Claude call, no Claude bar');

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-charts.png'), fullPage: false });
    assert.deepEqual(pageErrors, []);
  });
});
