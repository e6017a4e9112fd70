import assert from 'node:assert/strict';
import { test } from 'vitest';
import { nextWebhookAttemptAt, WEBHOOK_MAX_DELAY_SECONDS } from './webhook-retry-schedule.ts';

const event = new Date('2026-12-03T00:00:00.000Z');
const delay = (failed: number, draw: number, base = 5, now = event) =>
  ((nextWebhookAttemptAt(event, failed, now, base, () => draw)?.getTime() ?? Number.NaN) - now.getTime()) / 1000;

test('the ceiling doubles from the base and stops at 4 h; the draw is uniform under it, never below 1 s', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5].map((n) => delay(n, 1)),
    [5, 10, 20, 40, 80],
  );
  assert.equal(delay(30, 1), WEBHOOK_MAX_DELAY_SECONDS);
  assert.equal(delay(4, 0.5), 20);
  assert.equal(delay(1, 0), 1);
});

test('no retry later than 24 h after the event', () => {
  const late = new Date(event.getTime() + 23.5 * 3600 * 1000);
  assert.equal(
    nextWebhookAttemptAt(event, 20, late, 5, () => 1),
    null,
    '4 h from 23.5 h is past the window',
  );
  assert.ok(nextWebhookAttemptAt(event, 20, late, 5, () => 0.1) !== null, '24 min from 23.5 h is inside it');
});
