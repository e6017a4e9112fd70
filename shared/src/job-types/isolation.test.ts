import assert from 'node:assert/strict';
import { test } from 'vitest';
import { ConfigError, loadConfig } from '../config/config.ts';
import { ValidationError } from '../domain/errors.ts';
import { allowsPooled, pooledTypesProblems, resolveIsolation } from './isolation.ts';

test('every type but tool_agent may run pooled', () => {
  assert.deepEqual(['echo', 'sleep', 'claude_chat', 'claude_code', 'research', 'tool_agent', 'nope'].map(allowsPooled), [
    true,
    true,
    true,
    true,
    true,
    false,
    false,
  ]);
});

test("a submission's isolation: its own choice, else its type's default", () => {
  const config = loadConfig({ AGENT_RUNNER_POOLED_TYPES: 'echo,claude_chat' });
  assert.equal(resolveIsolation('echo', undefined, config), 'pooled');
  assert.equal(resolveIsolation('sleep', undefined, config), 'one_shot');
  assert.equal(resolveIsolation('echo', 'one_shot', config), 'one_shot');
  assert.equal(resolveIsolation('sleep', 'pooled', config), 'pooled');
});

test('pooled is refused, naming the isolation field, for a type that keeps its own process or where no pool runs', () => {
  const refusal = (jobType: string, env: Record<string, string>) => {
    try {
      resolveIsolation(jobType, 'pooled', loadConfig(env));
    } catch (error) {
      assert.ok(error instanceof ValidationError);
      assert.deepEqual(
        error.errors.map((e) => e.path),
        ['isolation'],
      );
      return error.message;
    }
    assert.fail('expected a ValidationError');
  };
  assert.match(refusal('tool_agent', {}), /does not allow pooled/);
  const aws = {
    AGENT_RUNNER_BACKEND: 'aws',
    AWS_REGION: 'eu-west-1',
    AGENT_RUNNER_TABLE: 't',
    AGENT_RUNNER_BUCKET: 'b',
    AGENT_RUNNER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/1/q',
    AGENT_RUNNER_ECS_CLUSTER: 'c',
    AGENT_RUNNER_TASK_DEFINITION: 'td',
    AGENT_RUNNER_SUBNETS: 's',
    AGENT_RUNNER_SECURITY_GROUPS: 'g',
  };
  assert.match(refusal('echo', aws), /AGENT_RUNNER_POOL_QUEUE_URL/);
  // With a pool queue, the ecs launcher hands pooled attempts to the pool's tasks.
  const withPool = { ...aws, AGENT_RUNNER_POOL_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/1/pool' };
  assert.equal(resolveIsolation('echo', 'pooled', loadConfig(withPool)), 'pooled');
});

test('AGENT_RUNNER_POOLED_TYPES names only known types that allow pooling; on ecs they need the pool queue', () => {
  assert.deepEqual(pooledTypesProblems(loadConfig({ AGENT_RUNNER_POOLED_TYPES: 'echo,tool_agent,nope' })), [
    'AGENT_RUNNER_POOLED_TYPES: job type "tool_agent" does not allow pooled isolation',
    'AGENT_RUNNER_POOLED_TYPES: unknown job type "nope"',
  ]);
  assert.throws(
    () => loadConfig({ AGENT_RUNNER_POOL_MIN: '5', AGENT_RUNNER_POOL_MAX: '2' }),
    (error) => error instanceof ConfigError && error.problems.some((p) => p.startsWith('AGENT_RUNNER_POOL_MIN:')),
  );
  const ecs = {
    AGENT_RUNNER_BACKEND: 'aws',
    AWS_REGION: 'eu-west-1',
    AGENT_RUNNER_TABLE: 't',
    AGENT_RUNNER_BUCKET: 'b',
    AGENT_RUNNER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/1/q',
    AGENT_RUNNER_ECS_CLUSTER: 'c',
    AGENT_RUNNER_TASK_DEFINITION: 'td',
    AGENT_RUNNER_SUBNETS: 's',
    AGENT_RUNNER_SECURITY_GROUPS: 'g',
    AGENT_RUNNER_POOLED_TYPES: 'echo',
  };
  assert.throws(
    () => loadConfig(ecs),
    (error) =>
      error instanceof ConfigError && error.problems.some((p) => /^AGENT_RUNNER_POOLED_TYPES: .*AGENT_RUNNER_POOL_QUEUE_URL/.test(p)),
  );
  assert.deepEqual(loadConfig({ ...ecs, AGENT_RUNNER_POOL_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/1/pool' }).pool.pooledTypes, [
    'echo',
  ]);
});
