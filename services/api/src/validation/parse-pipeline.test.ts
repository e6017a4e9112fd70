import assert from 'node:assert/strict';
import { test } from 'vitest';
import { loadConfig } from '@agent-runner/shared/config/config.ts';
import { ValidationError } from '@agent-runner/shared/domain/errors.ts';
import { parsePipeline } from './parse-pipeline.ts';

const config = loadConfig({ AGENT_RUNNER_DATA_DIR: '/tmp/agent-runner-parse-pipeline' });

function refusal(body: unknown): ValidationError {
  try {
    parsePipeline(body, config);
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('accepted');
}

const echo = (name: string, extra: Record<string, unknown> = {}) => ({ name, job_type: 'echo', payload: { message: name }, ...extra });

test('a DAG of steps parses into jobs with their needs and defaults', () => {
  const parsed = parsePipeline(
    { steps: [echo('a'), echo('b', { needs: ['a'], continue_on_failure: true, priority: 'high', max_attempts: 2 })] },
    config,
  );
  assert.deepEqual(
    parsed.steps.map((s) => [s.name, s.needs, s.continueOnFailure, s.job.priority, s.job.maxAttempts]),
    [
      ['a', [], false, 'normal', config.defaults.maxAttempts],
      ['b', ['a'], true, 'high', 2],
    ],
  );
  assert.deepEqual(parsed.webhooks, []);
});

test('at most 100 steps, names from a small alphabet, no unknown fields', () => {
  const many = Array.from({ length: 101 }, (_, i) => echo(`s${i}`));
  assert.equal(refusal({ steps: many }).problem, 'invalid-request');
  assert.doesNotThrow(() => parsePipeline({ steps: many.slice(0, 100) }, config));
  assert.deepEqual(
    refusal({ steps: [echo('a b')] }).errors.map((e) => e.path),
    ['steps[0].name'],
  );
  assert.deepEqual(
    refusal({ steps: [echo('a', { tenant: 'x' })] }).errors.map((e) => e.path),
    ['steps[0].tenant'],
  );
});

test('payload errors at a reference are deferred; others, and an unknown type, are not', () => {
  // `message` must be a string: the reference stands there, so that error waits for the value.
  const ok = parsePipeline(
    { steps: [echo('a'), { name: 'b', needs: ['a'], job_type: 'echo', payload: { message: { $from: 'a', pointer: '/x' } } }] },
    config,
  );
  assert.deepEqual(ok.steps[1]!.job.payload, { message: { $from: 'a', pointer: '/x' } });
  const unknownType = refusal({ steps: [echo('a'), { name: 'b', needs: ['a'], job_type: 'nope', payload: { $from: 'a' } }] });
  assert.equal(unknownType.problem, 'unknown-job-type');
  assert.deepEqual(
    unknownType.errors.map((e) => e.path),
    ['steps[1].job_type'],
  );
  const malformed = refusal({
    steps: [echo('a'), { name: 'b', needs: ['a'], job_type: 'echo', payload: { message: { $from: 'a', pointer: 'x' } } }],
  });
  assert.equal(malformed.problem, 'invalid-reference');
});
