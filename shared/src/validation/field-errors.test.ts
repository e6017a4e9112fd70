import assert from 'node:assert/strict';
import { test } from 'vitest';
import { z } from 'zod';
import { fieldErrors, REQUIRED_WHEN_MISSING, summarize } from './field-errors.ts';

const schema = z.strictObject({
  name: z.string(),
  items: z.array(z.strictObject({ qty: z.int().min(1) })),
});

test('paths are dotted with indexes in brackets, unknown keys are named one by one, absent fields are "required"', () => {
  const parsed = schema.safeParse({ items: [{ qty: 1 }, { qty: 0, colour: 'red', size: 2 }], extra: true }, REQUIRED_WHEN_MISSING);
  assert.equal(parsed.success, false);
  const errors = fieldErrors(parsed.error!.issues, 'payload');
  assert.deepEqual(
    errors.map((e) => e.path),
    ['payload.name', 'payload.items[1].qty', 'payload.items[1].colour', 'payload.items[1].size', 'payload.extra'],
  );
  assert.equal(errors[0]?.message, 'required');
  assert.equal(errors[2]?.message, 'unknown field');
  assert.match(summarize(errors), /^payload\.name: required; payload\.items\[1\]\.qty: /);
});

test('a problem with the whole body is reported at "(body)"', () => {
  const parsed = schema.safeParse([1, 2]);
  assert.deepEqual(
    fieldErrors(parsed.error!.issues).map((e) => e.path),
    ['(body)'],
  );
});
