import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from './config.ts';

test('defaults to the embedded backend on port 8000 with state in .agent-runner', () => {
  const config = loadConfig({});
  assert.equal(config.backend, 'embedded');
  assert.equal(config.launcher, 'process');
  assert.equal(config.apiPort, 8000);
  assert.equal(config.dataDir, '.agent-runner');
  assert.equal(config.maxPayloadBytes, 1024 * 1024);
  assert.equal(config.aws, null);
});

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return [...error.problems];
  }
  assert.fail('expected a ConfigError');
}

test('an unknown backend is refused, naming the variable', () => {
  const problems = problemsOf({ AGENT_RUNNER_BACKEND: 'redis' });
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /^AGENT_RUNNER_BACKEND: .*\(got "redis"\)/);
});

test('a bad number names its variable', () => {
  assert.match(problemsOf({ AGENT_RUNNER_PORT: 'eighty' })[0]!, /^AGENT_RUNNER_PORT:/);
  assert.match(problemsOf({ AGENT_RUNNER_MAX_RUNNING_BY_TYPE: 'echo=lots' })[0]!, /^AGENT_RUNNER_MAX_RUNNING_BY_TYPE:/);
});

test('the aws backend names every missing required variable', () => {
  const problems = problemsOf({ AGENT_RUNNER_BACKEND: 'aws' });
  for (const name of ['AGENT_RUNNER_QUEUE_URL', 'AWS_REGION', 'AGENT_RUNNER_TABLE', 'AGENT_RUNNER_BUCKET', 'AGENT_RUNNER_ECS_CLUSTER', 'AGENT_RUNNER_TASK_DEFINITION', 'AGENT_RUNNER_SUBNETS', 'AGENT_RUNNER_SECURITY_GROUPS']) {
    assert.ok(problems.some((p) => p.startsWith(`${name}:`)), `${name} should be named in ${problems.join('; ')}`);
  }
});

test('a complete aws config parses lists, per-priority queues and the endpoint', () => {
  const config = loadConfig({
    AGENT_RUNNER_BACKEND: 'aws',
    AWS_REGION: 'eu-west-1',
    AWS_ENDPOINT_URL: 'http://127.0.0.1:4566',
    AGENT_RUNNER_QUEUE_URL: 'http://127.0.0.1:4566/000/normal',
    AGENT_RUNNER_QUEUE_URL_HIGH: 'http://127.0.0.1:4566/000/high',
    AGENT_RUNNER_TABLE: 'jobs',
    AGENT_RUNNER_BUCKET: 'b',
    AGENT_RUNNER_ECS_CLUSTER: 'c',
    AGENT_RUNNER_TASK_DEFINITION: 'td',
    AGENT_RUNNER_SUBNETS: 'subnet-1, subnet-2',
    AGENT_RUNNER_SECURITY_GROUPS: 'sg-1',
    AGENT_RUNNER_MAX_RUNNING_BY_TYPE: 'claude_chat=10,echo=50',
  });
  assert.equal(config.aws?.endpoint, 'http://127.0.0.1:4566');
  assert.equal(config.aws?.queueUrls.high, 'http://127.0.0.1:4566/000/high');
  assert.equal(config.aws?.queueUrls.low, 'http://127.0.0.1:4566/000/normal');
  assert.deepEqual(config.aws?.ecs?.subnets, ['subnet-1', 'subnet-2']);
  assert.deepEqual(config.dispatch.maxRunningByType, { claude_chat: 10, echo: 50 });
});

test('the process launcher on aws needs no ECS settings', () => {
  const config = loadConfig({
    AGENT_RUNNER_BACKEND: 'aws',
    AGENT_RUNNER_LAUNCHER: 'process',
    AWS_REGION: 'us-east-1',
    AGENT_RUNNER_QUEUE_URL: 'http://localhost:4566/000000000000/q',
    AGENT_RUNNER_TABLE: 'jobs',
    AGENT_RUNNER_BUCKET: 'b',
  });
  assert.equal(config.launcher, 'process');
  assert.equal(config.aws?.ecs, null);
});

test('the visibility timeout is a setting of at least 3 s (held messages are extended every third of it)', () => {
  assert.equal(loadConfig({}).dispatch.visibilityTimeoutSeconds, 10);
  assert.equal(loadConfig({}).dispatch.sweepIntervalSeconds, 10);
  assert.equal(loadConfig({ AGENT_RUNNER_VISIBILITY_TIMEOUT_SECONDS: '45' }).dispatch.visibilityTimeoutSeconds, 45);
  assert.match(problemsOf({ AGENT_RUNNER_VISIBILITY_TIMEOUT_SECONDS: '2' })[0]!, /^AGENT_RUNNER_VISIBILITY_TIMEOUT_SECONDS:/);
  assert.match(problemsOf({ AGENT_RUNNER_VISIBILITY_TIMEOUT_SECONDS: 'soon' })[0]!, /^AGENT_RUNNER_VISIBILITY_TIMEOUT_SECONDS:/);
});
