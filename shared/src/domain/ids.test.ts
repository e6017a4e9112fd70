import assert from 'node:assert/strict';
import { test } from 'vitest';
import { createUlidSource, ulidRangeOf } from './ids.ts';

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

test('the id range of [from, to) holds every id made from `from` up to the millisecond before `to`', () => {
  // A source per id: one source is monotonic and would not go back to an earlier millisecond.
  const next = (at: Date) => createUlidSource()(at);
  const from = new Date(1_700_000_000_000);
  const to = new Date(1_700_000_060_000);
  const { lowest, highest } = ulidRangeOf(from, to);
  const inside = [next(from), next(new Date(to.getTime() - 1))];
  const outside = [next(new Date(from.getTime() - 1)), next(to)];
  for (const id of inside) assert.ok(lowest <= id && id <= highest, id);
  for (const id of outside) assert.ok(id < lowest || id > highest, id);
});
