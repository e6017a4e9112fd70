import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'vitest';
import { parse } from 'yaml';
import { ENV_SCHEMA, loadConfig } from '@agent-runner/shared/config/config.ts';
import { skipUnlessAws } from '../../support/aws-test-env.ts';
import { motoEndpoint } from '../../support/moto.ts';

// No Docker engine runs here, so these files are checked by reading them against the code.
const read = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');

interface ComposeService {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
}

const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, ComposeService> };

test('docker-compose.yml: LocalStack pinned, the auth token passed through, provision before the services', () => {
  const { localstack, provision, api, dispatcher } = compose.services;
  assert.match(localstack?.image ?? '', /^localstack\/localstack:\d+\.\d+\.\d+$/, 'a pinned LocalStack image');
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Compose's own variable substitution, read as text.
  assert.equal(localstack?.environment?.LOCALSTACK_AUTH_TOKEN, '${LOCALSTACK_AUTH_TOKEN:-}');
  assert.deepEqual(provision?.command, ['sh', 'localstack/provision-agent-runner.sh', '/config/agent-runner.env']);
  for (const service of [api, dispatcher]) assert.equal(service?.depends_on?.provision?.condition, 'service_completed_successfully');
});

test('docker-compose.yml: every AGENT_RUNNER_* variable it sets is one the config schema knows, and the config parses', () => {
  const known = new Set(Object.keys(ENV_SCHEMA.shape));
  for (const [name, service] of Object.entries(compose.services)) {
    for (const key of Object.keys(service.environment ?? {})) {
      if (key.startsWith('AGENT_RUNNER_')) assert.ok(known.has(key), `${name}: ${key} is not a configuration variable`);
    }
  }
  // What the API container runs with once the provision output is sourced (values as provision writes them).
  const provisioned = {
    AGENT_RUNNER_TABLE: 'agent-runner-jobs',
    AGENT_RUNNER_BUCKET: 'b',
    AGENT_RUNNER_QUEUE_URL: 'http://localstack:4566/000000000000/agent-runner-normal',
  };
  const config = loadConfig({ ...compose.services.api?.environment, ...provisioned });
  assert.equal(config.backend, 'aws');
  assert.equal(config.launcher, 'process');
  assert.equal(config.aws?.endpoint, 'http://localstack:4566');
  assert.equal(String(config.apiPort), compose.services.api?.ports?.[0]?.split(':').at(-1));
  assert.equal(config.host, '0.0.0.0');
  assert.equal(
    config.apiPort,
    loadConfig({}).apiPort,
    'the compose API port is the default one, so the CLI and dashboard URLs in the README hold',
  );
});

test('docker-compose.yml: each service command runs an agent-runner subcommand the CLI has', () => {
  for (const name of ['api', 'dispatcher'] as const) {
    const command = compose.services[name]?.command?.join(' ') ?? '';
    const subcommand = /bin\/agent-runner\.ts (\w+)$/.exec(command)?.[1];
    assert.equal(subcommand, name, `${name}: ${command}`);
    const help = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', 'bin/agent-runner.ts', subcommand, '--help'], {
      cwd: new URL('../../..', import.meta.url),
      encoding: 'utf8',
    });
    assert.equal(help.status, 0, help.stderr);
  }
});

test('Dockerfile: multi-stage on a pinned Node 24, production deps only, non-root, no ENTRYPOINT (a task definition command replaces CMD)', () => {
  const dockerfile = read('Dockerfile');
  // Production dependencies, the worker's bundle (built with dev dependencies), and the image itself.
  assert.match(dockerfile, /^ARG NODE_IMAGE=node:24\.\d+\.\d+-bookworm-slim$/m, 'an exact Node 24 release');
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the Dockerfile's own build-argument reference, read as text.
  assert.deepEqual(dockerfile.match(/^FROM \S+/gm), ['FROM ${NODE_IMAGE}', 'FROM ${NODE_IMAGE}', 'FROM ${NODE_IMAGE}']);
  assert.match(dockerfile, /^COPY --from=worker-bundle \/app\/\.build\/worker /m, 'only the bundle leaves the build stage');
  const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)?.[1] ?? 'null') as string[] | null;
  assert.deepEqual(
    cmd?.slice(0, 1).concat(cmd.slice(-2)),
    ['node', 'bin/agent-runner.ts', 'start'],
    'the image runs the CLI; its command picks the service',
  );
  assert.match(dockerfile, /npm ci --omit=dev/);
  assert.match(dockerfile, /^USER node$/m);
  assert.doesNotMatch(dockerfile, /^ENTRYPOINT/m);
  for (const dir of ['shared', 'services', 'bin', 'localstack']) assert.match(dockerfile, new RegExp(`^COPY ${dir} `, 'm'));
});

test("Dockerfile: the compile cache is warmed at build time by a command that loads every service's modules and starts none", () => {
  const dockerfile = read('Dockerfile');
  assert.match(dockerfile, /^ENV NODE_COMPILE_CACHE=\/app\/\.compile-cache$/m);
  const warm = /^RUN node --disable-warning=ExperimentalWarning (\S+) \\$/m.exec(dockerfile)?.[1];
  assert.equal(warm, 'bin/warm-compile-cache.ts', 'the warming RUN line');
  const cache = mkdtempSync(join(tmpdir(), 'agent-runner-compile-cache-'));
  try {
    const run = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', warm], {
      cwd: new URL('../../..', import.meta.url),
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', NODE_COMPILE_CACHE: cache },
      timeout: 60_000,
    });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, '', 'no service started');
    const loaded = Number(/compile cache: (\d+) source modules and \d+ worker bundle files loaded/.exec(run.stderr)?.[1]);
    assert.ok(loaded > 100, `every source module was loaded (${loaded})`);
    // The source modules plus what they import, the lazily loaded Anthropic SDK included.
    assert.ok(readdirSync(cache, { recursive: true }).length > 500, 'the cache was written');
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});

test('the LocalStack provisioning script is executable and runs `agent-runner provision`, whose options it uses exist', () => {
  const script = new URL('../../../localstack/provision-agent-runner.sh', import.meta.url);
  accessSync(script, constants.X_OK);
  assert.match(readFileSync(script, 'utf8'), /bin\/agent-runner\.ts" provision --write-env/);
  const help = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', 'bin/agent-runner.ts', 'provision', '--help'], {
    cwd: new URL('../../..', import.meta.url),
    encoding: 'utf8',
  });
  assert.equal(help.status, 0);
  for (const option of ['--write-env', '--no-ecs']) assert.match(help.stdout, new RegExp(option));
});

test('the LocalStack provisioning script, run against the emulator, writes a configuration the compose services start with', {
  skip: Boolean(skipUnlessAws()),
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'agent-runner-localstack-init-'));
  try {
    const out = join(dir, 'agent-runner.env');
    const run = spawnSync('sh', ['localstack/provision-agent-runner.sh', out], {
      cwd: new URL('../../..', import.meta.url),
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        AWS_ENDPOINT_URL: await motoEndpoint(),
        AGENT_RUNNER_NAME_PREFIX: `ls-${randomBytes(3).toString('hex')}`,
      },
    });
    assert.equal(run.status, 0, run.stderr);
    const written = Object.fromEntries(
      readFileSync(out, 'utf8')
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    assert.equal(written.AGENT_RUNNER_ECS_CLUSTER, undefined, 'no ECS asked of LocalStack by default');
    // What the api and dispatcher services run with: the compose environment, then the written file.
    const services = parse(read('docker-compose.yml')) as { 'x-aws-env': Record<string, string> };
    const config = loadConfig({ ...services['x-aws-env'], ...written });
    assert.equal(config.launcher, 'process');
    assert.ok(config.aws?.queueUrls.normal);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
