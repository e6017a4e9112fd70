import assert from 'node:assert/strict';
import { test } from 'vitest';
import { computeCostUsd } from '@agent-runner/shared/domain/compute-cost.ts';
import { FARGATE_LIST_PRICE } from '@agent-runner/shared/config/observability-config.ts';
import { ComputeMeter, FARGATE_MINIMUM_SECONDS } from './compute-meter.ts';

const size = { cpu: 512, memoryMiB: 1024 };
const start = new Date('2026-12-03T04:00:00.000Z');
const at = (seconds: number) => new Date(start.getTime() + seconds * 1000);
const claude = { calls: 1, input_tokens: 10, output_tokens: 5, cache_write_tokens: 0, cache_read_tokens: 0, cost_usd: 0.002 };

test('an hour of a 0.5 vCPU / 1 GB task at the list price', () => {
  // 0.5 × 0.04048 + 1 × 0.004445 = 0.024685 USD per hour
  assert.equal(computeCostUsd(3600, size, FARGATE_LIST_PRICE), 0.024685);
});

test("the worker's seconds are whole, from its start to the last write, and added beside the Claude cost", () => {
  const meter = new ComputeMeter({ startedAt: start, price: FARGATE_LIST_PRICE, size, minimumSeconds: 0 });
  const spent = meter.addTo({ usage: { ...claude, by_model: { m: claude } }, rateLimits: null }, at(119.2));
  assert.equal(spent.usage?.compute_seconds, 120);
  assert.equal(spent.usage?.compute_cost_usd, computeCostUsd(120, size, FARGATE_LIST_PRICE));
  assert.equal(spent.usage?.cost_usd, 0.002, 'cost_usd stays the Claude cost');
  assert.deepEqual(meter.addTo({ usage: null, rateLimits: null }, at(200)), { usage: null, rateLimits: null }, 'once per process');
});

test('Fargate bills at least a minute; an unpriced worker records nothing', () => {
  const fargate = new ComputeMeter({ startedAt: start, price: FARGATE_LIST_PRICE, size, minimumSeconds: FARGATE_MINIMUM_SECONDS });
  assert.equal(fargate.addTo({ usage: null, rateLimits: null }, at(3)).usage?.compute_seconds, 60);
  const free = new ComputeMeter({ startedAt: start, price: { vcpuHourUsd: 0, gbHourUsd: 0 }, size, minimumSeconds: 0 });
  assert.deepEqual(free.addTo({ usage: null, rateLimits: null }, at(3)), { usage: null, rateLimits: null });
});
