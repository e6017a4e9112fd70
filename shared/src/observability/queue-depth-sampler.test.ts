import assert from 'node:assert/strict';
import { test } from 'vitest';
import type { QueueDepth } from '../ports/job-queue.ts';
import { createMetrics } from './metrics.ts';
import { startQueueDepthSampler } from './queue-depth-sampler.ts';

function depthWithNormal(waiting: number): QueueDepth {
  const none = { waiting: 0, inFlight: 0 };
  return { critical: none, high: none, normal: { waiting, inFlight: 1 }, low: none };
}

async function until(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const normalWaiting = async (metrics: ReturnType<typeof createMetrics>) =>
  (await metrics.registry.getSingleMetric('agent_runner_queue_depth')!.get()).values.find(
    (v) => v.labels.priority === 'normal' && v.labels.state === 'waiting',
  )?.value;

test('samples at start and then on the interval; scrapes read the gauges, never the queue', async () => {
  const metrics = createMetrics({ service: 'api', defaultMetrics: false });
  let reads = 0;
  const sampler = startQueueDepthSampler(metrics, async () => depthWithNormal(++reads * 10), { intervalMs: 20 });
  try {
    await until(() => reads >= 3);
    await until(() => sampler.latest()?.depth.normal.waiting === reads * 10);
    await sampler.stop();
    const before = reads;
    for (let i = 0; i < 5; i++) await metrics.registry.metrics();
    assert.equal(reads, before, 'a scrape does not read the queue');
    assert.equal(await normalWaiting(metrics), reads * 10);
  } finally {
    await sampler.stop();
  }
});

test('a failed read keeps the last good values and sampling goes on', async () => {
  const metrics = createMetrics({ service: 'api', defaultMetrics: false });
  const errors: unknown[] = [];
  let reads = 0;
  const sampler = startQueueDepthSampler(
    metrics,
    () => {
      reads += 1;
      if (reads === 2) return Promise.reject(new Error('queue unreachable'));
      if (reads === 3) throw new Error('a synchronous throw, before any promise');
      return Promise.resolve(depthWithNormal(reads));
    },
    { intervalMs: 10, onError: (e) => errors.push(e), clock: { now: () => new Date(1_000 * reads) } },
  );
  try {
    await until(() => reads >= 4);
    await sampler.stop();
    assert.equal(errors.length, 2);
    assert.equal(sampler.latest()?.depth.normal.waiting, reads);
    assert.equal(await normalWaiting(metrics), reads);
  } finally {
    await sampler.stop();
  }
});

test('sampleNow during a read joins it; stop waits for it and nothing is read after', async () => {
  const metrics = createMetrics({ service: 'api', defaultMetrics: false });
  let reads = 0;
  let release!: () => void;
  const sampler = startQueueDepthSampler(
    metrics,
    () => {
      reads += 1;
      return new Promise<QueueDepth>((resolve) => {
        release = () => resolve(depthWithNormal(7));
      });
    },
    { intervalMs: 5 },
  );
  const joined = sampler.sampleNow();
  assert.equal(reads, 1, 'the second call joined the read in progress');
  const stopped = sampler.stop();
  let stopDone = false;
  void stopped.then(() => (stopDone = true));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(stopDone, false, 'stop waits for the read in progress');
  release();
  await Promise.all([joined, stopped]);
  assert.equal(sampler.latest()?.depth.normal.waiting, 7);
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(reads, 1);
});
