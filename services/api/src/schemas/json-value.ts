import { z } from 'zod';
import type { JsonValue } from '@agent-runner/shared/domain/job.ts';

/**
 * Any JSON value. Not `z.json()`: that is a recursive union, which z.toJSONSchema can only emit as
 * anonymous `schema0` definitions; as one named check it becomes a `JsonValue` component, `{}` in
 * JSON Schema (any value), which is what a parsed JSON body always is.
 */
export const JsonValueSchema = z.custom<JsonValue>((value) => isJsonValue(value)).meta({ id: 'JsonValue', description: 'Any JSON value.' });

/** Iterative, so a deep value (a child job's payload is not size-checked first) cannot overflow the stack. */
function isJsonValue(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const item = pending.pop();
    if (item === null || typeof item === 'string' || typeof item === 'boolean') continue;
    if (typeof item === 'number') {
      if (!Number.isFinite(item)) return false;
      continue;
    }
    if (typeof item !== 'object' || !(Array.isArray(item) || isPlainObject(item))) return false;
    // A loop, not push(...values): spreading a long array overflows the argument limit.
    for (const child of Object.values(item)) pending.push(child);
  }
  return true;
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
