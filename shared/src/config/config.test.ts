import assert from 'node:assert/strict';
import { test } from 'vitest';
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
  for (const name of [
    'AGENT_RUNNER_QUEUE_URL',
    'AWS_REGION',
    'AGENT_RUNNER_TABLE',
    'AGENT_RUNNER_BUCKET',
    'AGENT_RUNNER_ECS_CLUSTER',
    'AGENT_RUNNER_TASK_DEFINITION',
    'AGENT_RUNNER_SUBNETS',
    'AGENT_RUNNER_SECURITY_GROUPS',
  ]) {
    assert.ok(
      problems.some((p) => p.startsWith(`${name}:`)),
      `${name} should be named in ${problems.join('; ')}`,
    );
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

test('auth is off by default only for the embedded backend on a loopback host', () => {
  assert.deepEqual(loadConfig({}).auth, { mode: 'off', explicit: false, cacheSeconds: 5 });
  for (const host of ['localhost', '::1', '127.0.0.2']) assert.equal(loadConfig({ AGENT_RUNNER_HOST: host }).auth.mode, 'off', host);
  assert.equal(loadConfig({ AGENT_RUNNER_HOST: '0.0.0.0' }).auth.mode, 'required');
  const aws = {
    AGENT_RUNNER_BACKEND: 'aws',
    AWS_REGION: 'us-east-1',
    AGENT_RUNNER_TABLE: 't',
    AGENT_RUNNER_BUCKET: 'b',
    AGENT_RUNNER_QUEUE_URL: 'http://q/1',
    AGENT_RUNNER_LAUNCHER: 'process',
  };
  assert.equal(loadConfig(aws).auth.mode, 'required');
  assert.deepEqual(loadConfig({ ...aws, AGENT_RUNNER_AUTH: 'off' }).auth, { mode: 'off', explicit: true, cacheSeconds: 5 });
  assert.equal(loadConfig({ AGENT_RUNNER_AUTH: 'required' }).auth.mode, 'required');
  assert.equal(loadConfig(aws).aws?.apiKeysTable, 't-api-keys');
});

test('a bad auth mode, a key cache over 10 s or a bad metrics port is refused, naming the variable', () => {
  assert.match(problemsOf({ AGENT_RUNNER_AUTH: 'maybe' })[0]!, /^AGENT_RUNNER_AUTH: /);
  assert.match(problemsOf({ AGENT_RUNNER_AUTH_CACHE_SECONDS: '11' })[0]!, /^AGENT_RUNNER_AUTH_CACHE_SECONDS: /);
  assert.match(problemsOf({ AGENT_RUNNER_METRICS_PORT: '70000' })[0]!, /^AGENT_RUNNER_METRICS_PORT: /);
  assert.equal(loadConfig({ AGENT_RUNNER_METRICS_PORT: '9100' }).metricsPort, 9100);
  assert.equal(loadConfig({}).metricsPort, null);
});

test('tenant quotas default to unlimited; rates, caps and budgets parse; a bad one names its variable', () => {
  assert.deepEqual(loadConfig({}).tenants, {
    defaults: { submitRate: null, maxQueued: null, budgetUsdPerDay: null },
    apiInstances: 1,
    cacheSeconds: 5,
  });
  const set = loadConfig({
    AGENT_RUNNER_TENANT_SUBMIT_RATE: '600/min',
    AGENT_RUNNER_TENANT_MAX_QUEUED: '1000',
    AGENT_RUNNER_TENANT_BUDGET_USD_PER_DAY: '25.5',
    AGENT_RUNNER_API_INSTANCES: '3',
  }).tenants;
  assert.deepEqual(set.defaults, { submitRate: { limit: 600, windowSeconds: 60 }, maxQueued: 1000, budgetUsdPerDay: 25.5 });
  assert.equal(set.apiInstances, 3);
  assert.equal(loadConfig({ AGENT_RUNNER_TENANT_MAX_QUEUED: 'unlimited' }).tenants.defaults.maxQueued, null);
  assert.match(
    problemsOf({ AGENT_RUNNER_TENANT_SUBMIT_RATE: '20 per second' }).join(),
    /AGENT_RUNNER_TENANT_SUBMIT_RATE: expected a rate like 20\/s/,
  );
  assert.match(problemsOf({ AGENT_RUNNER_TENANT_BUDGET_USD_PER_DAY: '-1' }).join(), /AGENT_RUNNER_TENANT_BUDGET_USD_PER_DAY/);
});

test('on a loopback address the API answers only to loopback names by default; elsewhere to any, unless listed', () => {
  assert.deepEqual(loadConfig({}).http.allowedHosts, ['localhost', '127.0.0.1', '::1']);
  assert.deepEqual(loadConfig({ AGENT_RUNNER_HOST: '[::1]' }).http.allowedHosts, ['localhost', '127.0.0.1', '::1']);
  assert.deepEqual(loadConfig({ AGENT_RUNNER_HOST: '127.0.0.2' }).http.allowedHosts, ['localhost', '127.0.0.1', '::1', '127.0.0.2']);
  assert.equal(loadConfig({ AGENT_RUNNER_HOST: '0.0.0.0' }).http.allowedHosts, null);
  assert.deepEqual(
    loadConfig({ AGENT_RUNNER_HOST: '0.0.0.0', AGENT_RUNNER_ALLOWED_HOSTS: 'Runner.Example.com, [::1]' }).http.allowedHosts,
    ['runner.example.com', '::1'],
  );
  assert.equal(loadConfig({ AGENT_RUNNER_ALLOWED_HOSTS: '*' }).http.allowedHosts, null);
});

test('allowed origins must be bare origins; the request timeout may not be shorter than the headers timeout', () => {
  assert.deepEqual(loadConfig({ AGENT_RUNNER_ALLOWED_ORIGINS: 'https://ops.example.com,http://localhost:3000' }).http.allowedOrigins, [
    'https://ops.example.com',
    'http://localhost:3000',
  ]);
  assert.match(problemsOf({ AGENT_RUNNER_ALLOWED_ORIGINS: 'https://ops.example.com/' })[0]!, /^AGENT_RUNNER_ALLOWED_ORIGINS: .*origin/);
  assert.match(problemsOf({ AGENT_RUNNER_ALLOWED_ORIGINS: 'ops.example.com' })[0]!, /^AGENT_RUNNER_ALLOWED_ORIGINS/);
  assert.deepEqual(loadConfig({}).http, {
    allowedHosts: ['localhost', '127.0.0.1', '::1'],
    allowedOrigins: [],
    headersTimeoutMs: 10_000,
    requestTimeoutMs: 30_000,
  });
  assert.match(
    problemsOf({ AGENT_RUNNER_HEADERS_TIMEOUT_SECONDS: '20', AGENT_RUNNER_REQUEST_TIMEOUT_SECONDS: '5' })[0]!,
    /^AGENT_RUNNER_REQUEST_TIMEOUT_SECONDS: must be at least/,
  );
});

test('the visibility timeout is a setting of at least 3 s (held messages are extended every third of it)', () => {
  assert.equal(loadConfig({}).dispatch.visibilityTimeoutSeconds, 10);
  assert.equal(loadConfig({}).dispatch.sweepIntervalSeconds, 10);
  assert.equal(loadConfig({ AGENT_RUNNER_VISIBILITY_TIMEOUT_SECONDS: '45' }).dispatch.visibilityTimeoutSeconds, 45);
  assert.match(problemsOf({ AGENT_RUNNER_VISIBILITY_TIMEOUT_SECONDS: '2' })[0]!, /^AGENT_RUNNER_VISIBILITY_TIMEOUT_SECONDS:/);
  assert.match(problemsOf({ AGENT_RUNNER_VISIBILITY_TIMEOUT_SECONDS: 'soon' })[0]!, /^AGENT_RUNNER_VISIBILITY_TIMEOUT_SECONDS:/);
});
