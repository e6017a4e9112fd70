import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createUlidSource } from './ids.ts';

test('ULIDs are 26 Crockford characters and sort by time', () => {
  const next = createUlidSource();
  const a = next(new Date(1_700_000_000_000));
  const b = next(new Date(1_700_000_000_001));
  assert.match(a, /^[0-9A-HJKMNP-TV-Z]{26}$/);
  assert.ok(a < b);
});

test('ids made in the same millisecond (or with a clock that stepped back) still sort in creation order', () => {
  const next = createUlidSource();
  const at = new Date(1_700_000_000_000);
  const ids = Array.from({ length: 1000 }, () => next(at));
  ids.push(next(new Date(1_699_999_999_000)));
  assert.deepEqual([...ids].sort(), ids);
  assert.equal(new Set(ids).size, ids.length);
});
