import assert from 'node:assert/strict';
import { test } from 'vitest';
import { skipWithout } from './required-tool.ts';

const MISSING = '/nonexistent/agent-runner-test-tool';

test('a program that is there runs its suite, on CI or not', () => {
  assert.equal(skipWithout(process.execPath, 'n/a', {}), false);
  assert.equal(skipWithout(process.execPath, 'n/a', { CI: 'true' }), false);
});

test('a missing program skips its suite off CI, and fails it under CI=true', () => {
  const said: string[] = [];
  assert.equal(
    skipWithout(MISSING, 'apt-get install it', {}, (line) => said.push(line)),
    true,
  );
  assert.deepEqual(
    said,
    ['agent-runner tests: skipped, /nonexistent/agent-runner-test-tool not found (apt-get install it)\n'],
    'one line says what to install',
  );
  assert.throws(
    () => skipWithout(MISSING, 'apt-get install it', { CI: 'true' }, () => {}),
    /\/nonexistent\/agent-runner-test-tool not found \(apt-get install it\); under CI=true/,
  );
});
