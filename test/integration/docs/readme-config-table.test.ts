import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'vitest';
import { ENV_SCHEMA } from '@agent-runner/shared/config/config.ts';

const README = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

test('every configuration variable the schema accepts is documented in the README', () => {
  const table = README.slice(README.indexOf('## Configuration'));
  const undocumented = Object.keys(ENV_SCHEMA.shape).filter(
    (name) => name !== 'AWS_DEFAULT_REGION' && !table.includes(name.replace(/_(CRITICAL|HIGH|LOW)$/, '')),
  );
  assert.deepEqual(undocumented, []);
});

test('the README documents no variable the schema does not know', () => {
  const table = README.slice(README.indexOf('## Configuration'), README.indexOf('## Tests'));
  const named = [...table.matchAll(/`(AGENT_RUNNER_[A-Z_]+)`/g)].map((m) => m[1]!);
  const known = new Set(Object.keys(ENV_SCHEMA.shape));
  assert.deepEqual(
    named.filter((n) => !known.has(n)),
    [],
  );
});
