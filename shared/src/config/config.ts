import { z } from 'zod';
import type { PRIORITIES } from '../domain/job.ts';
import { DEFAULT_MODEL, DEFAULT_MODEL_PRICES, parseModelPrices, priceOf, type ModelPrice } from '../anthropic/model-prices.ts';
import { parseSubmitRate, type TenantQuotas } from '../domain/tenant-quotas.ts';
import { OBSERVABILITY_ENV, observabilityConfig, type ObservabilityConfig } from './observability-config.ts';

/**
 * The one configuration schema. Parsed from the environment once, in each service's `main`, and
 * passed down as a typed object; nothing reads `process.env` after start-up.
 */

const integer = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);
const list = z.string().transform((s) =>
  s
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v.length > 0),
);
/** `claude_chat=10,echo=50` → `{ claude_chat: 10, echo: 50 }` */
const limitsByKey = z.string().transform((s, ctx) => {
  const out: Record<string, number> = {};
  for (const pair of s
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [key, value] = pair.split('=');
    const n = Number(value);
    if (!key || !Number.isInteger(n) || n < 0) {
      ctx.addIssue({ code: 'custom', message: `expected name=count pairs separated by commas, got "${pair}"` });
      return z.NEVER;
    }
    out[key.trim()] = n;
  }
  return out;
});
/** `model=in/out/cacheWrite/cacheRead;…` (USD per million tokens), see parseModelPrices. */
const modelPrices = z.string().transform((s, ctx) => {
  const { prices, problems } = parseModelPrices(s);
  for (const message of problems) ctx.addIssue({ code: 'custom', message });
  return problems.length > 0 ? z.NEVER : prices;
});
/** `20/s`, `600/min`, … or `unlimited` (see parseSubmitRate). */
const submitRate = z.string().transform((s, ctx) => {
  const rate = parseSubmitRate(s);
  if (typeof rate === 'string') {
    ctx.addIssue({ code: 'custom', message: rate });
    return z.NEVER;
  }
  return rate;
});
/** A limit, or `unlimited` (null). */
const limitOrUnlimited = <T extends z.ZodType<number>>(limit: T) => z.union([z.literal('unlimited').transform(() => null), limit]);
const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const seconds = z.coerce.number().positive().max(3600);
/** Origins as browsers send them: `scheme://host[:port]`, nothing after. */
const origins = list.pipe(
  z.array(
    z.string().refine((origin) => URL.canParse(origin) && new URL(origin).origin === origin, {
      error: 'each must be an origin such as https://ops.example.com (scheme, host, optional port; no path, no trailing slash)',
    }),
  ),
);

/** Every variable, its default and its meaning. README's configuration table mirrors this. */
export const ENV_SCHEMA = z.object({
  AGENT_RUNNER_BACKEND: z.enum(['embedded', 'aws']).default('embedded'),
  AGENT_RUNNER_HOST: z.string().min(1).default('127.0.0.1'),
  AGENT_RUNNER_PORT: integer(0, 65535).default(8000),
  AGENT_RUNNER_DISPATCHER_PORT: integer(0, 65535).default(8001),
  /**
   * `required`: every job route needs `Authorization: Bearer <key>`. Default `required`, except the
   * embedded backend on a loopback address, where it is `off` (a one-command try-out).
   */
  AGENT_RUNNER_AUTH: z.enum(['required', 'off']).optional(),
  /** How long an API instance trusts what it read about a key; a revocation takes effect within it. */
  AGENT_RUNNER_AUTH_CACHE_SECONDS: integer(0, 10).default(5),
  /** When set, GET /metrics is served on this port only (not on the API's). */
  AGENT_RUNNER_METRICS_PORT: integer(0, 65535).optional(),
  /** Queue depth is read on this interval for metrics and the dashboard, never per scrape. */
  AGENT_RUNNER_QUEUE_DEPTH_INTERVAL_SECONDS: integer(1).default(15),
  AGENT_RUNNER_DATA_DIR: z.string().min(1).default('.agent-runner'),
  AGENT_RUNNER_LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  AGENT_RUNNER_MAX_PAYLOAD_BYTES: integer(1).default(1024 * 1024),
  /**
   * Host names the API answers to (the Host header, any port), or `*`. Default: the loopback names
   * when AGENT_RUNNER_HOST is a loopback address — a web page that rebinds its own name to 127.0.0.1
   * (DNS rebinding) is refused — else `*`.
   */
  AGENT_RUNNER_ALLOWED_HOSTS: list.optional(),
  /** Origins whose pages may call the API from a browser, besides the API's own (the dashboard). */
  AGENT_RUNNER_ALLOWED_ORIGINS: origins.default([]),
  /** A client must send its request headers within this long, its whole request within the next. */
  AGENT_RUNNER_HEADERS_TIMEOUT_SECONDS: seconds.default(10),
  AGENT_RUNNER_REQUEST_TIMEOUT_SECONDS: seconds.default(30),
  /** Payloads/results larger than this go to the blob store (DynamoDB items max out at 400 KB). */
  AGENT_RUNNER_INLINE_LIMIT_BYTES: integer(1, 350 * 1024).default(64 * 1024),
  AGENT_RUNNER_DEFAULT_MAX_ATTEMPTS: integer(1, 100).default(3),
  AGENT_RUNNER_DEFAULT_TIMEOUT_SECONDS: integer(1, 7 * 24 * 3600).default(900),
  AGENT_RUNNER_DEFAULT_TENANT: z.string().min(1).default('default'),
  AGENT_RUNNER_LAUNCHER: z.enum(['ecs', 'process']).optional(),
  /** A claim older than this with no recorded launch is taken to be abandoned by a dead dispatcher. */
  AGENT_RUNNER_CLAIM_TIMEOUT_SECONDS: integer(1).default(30),
  /**
   * How often the sweeper and reaper run (the first round runs at start-up): a dead peer's lost
   * workers and orphaned slots are found within a round of this.
   */
  AGENT_RUNNER_SWEEP_INTERVAL_SECONDS: integer(1).default(10),
  /**
   * How long a received message stays hidden (SQS VisibilityTimeout). A live dispatcher extends
   * the messages it holds every third of this, so it bounds only how long a dead dispatcher's held
   * messages stay out of sight: with the sweep interval, what a restart or a peer's death costs.
   * At least 3 s, so the extension (every third) has a whole second of margin.
   */
  AGENT_RUNNER_VISIBILITY_TIMEOUT_SECONDS: integer(3, 12 * 3600).default(10),
  /** A QUEUED job older than this is re-enqueued by the sweeper (a lost enqueue). */
  AGENT_RUNNER_REQUEUE_AFTER_SECONDS: integer(1).default(300),
  AGENT_RUNNER_HEARTBEAT_SECONDS: integer(1).default(10),
  AGENT_RUNNER_MAX_RUNNING: integer(1).default(16),
  AGENT_RUNNER_MAX_RUNNING_BY_TYPE: limitsByKey.default({}),
  AGENT_RUNNER_MAX_RUNNING_PER_TENANT: integer(1).optional(),
  /** Per-tenant quotas for tenants with no setting of their own (`agent-runner tenants set`). */
  AGENT_RUNNER_TENANT_SUBMIT_RATE: submitRate.default(null),
  AGENT_RUNNER_TENANT_MAX_QUEUED: limitOrUnlimited(integer(1)).default(null),
  AGENT_RUNNER_TENANT_BUDGET_USD_PER_DAY: limitOrUnlimited(z.coerce.number().positive().max(1_000_000)).default(null),
  /**
   * Each API instance keeps its own submission-rate buckets and enforces the tenant's rate divided
   * by this, so N instances behind a balancer admit about the rate together.
   */
  AGENT_RUNNER_API_INSTANCES: integer(1, 1000).default(1),
  /** Tenant settings, queued-job counts and today's spend are reused this long by an API instance. */
  AGENT_RUNNER_TENANT_CACHE_SECONDS: integer(0, 300).default(5),
  AGENT_RUNNER_WORKER_COMMAND: list.optional(),
  /** Every this many seconds a waiting job is raised one priority class (0: strict priority). */
  AGENT_RUNNER_PRIORITY_AGING_SECONDS: integer(0).default(60),
  /**
   * Launch pacing. Fargate throttles RunTask at 20 calls/s, burst and sustained, per account and
   * Region (AWS docs, "AWS Fargate throttling quotas"); one task per call, so 20/s by default.
   */
  AGENT_RUNNER_LAUNCH_RATE: z.coerce.number().positive().default(20),
  AGENT_RUNNER_LAUNCH_BURST: integer(1).default(20),
  /** A message waiting for capacity is recycled (a fresh copy sent, the held one deleted) after this long. */
  AGENT_RUNNER_MAX_HOLD_SECONDS: integer(1, 600).default(20),
  /** Job types that run on a warm pool's long-lived workers by default (each must allow it); a job may ask otherwise. */
  AGENT_RUNNER_POOLED_TYPES: list.default([]),
  /** Pool processes kept warm even when idle, and the most there may be (process launcher). */
  AGENT_RUNNER_POOL_MIN: integer(0, 1000).default(2),
  AGENT_RUNNER_POOL_MAX: integer(1, 1000).default(16),
  /** A pooled worker is replaced after this many jobs, or once its resident memory is above this. */
  AGENT_RUNNER_POOL_RECYCLE_AFTER_JOBS: integer(1).default(1000),
  AGENT_RUNNER_POOL_MAX_RSS_MB: integer(32).default(512),
  /**
   * A pooled attempt handed to the pool queue (ecs launcher) and not started within this long is
   * lost: time for a pool scaled to zero to be scaled out (alarm, then a Fargate start) and more.
   */
  AGENT_RUNNER_POOL_START_TIMEOUT_SECONDS: integer(10).default(900),
  /** Hold Claude jobs that the Messages API's last rate-limit headers say would get a 429. */
  AGENT_RUNNER_CLAUDE_ADMISSION: z.enum(['on', 'off']).default('on'),
  /** How long a job's live events are kept. */
  AGENT_RUNNER_EVENT_RETENTION_HOURS: integer(1).default(168),
  /** The worker writes buffered events at most this often (a fast stream costs few writes). */
  AGENT_RUNNER_EVENT_FLUSH_MS: integer(50, 10_000).default(250),

  AWS_REGION: z.string().min(1).optional(),
  AWS_DEFAULT_REGION: z.string().min(1).optional(),
  AWS_ENDPOINT_URL: z.url().optional(),
  AGENT_RUNNER_TABLE: z.string().min(1).optional(),
  AGENT_RUNNER_LEASES_TABLE: z.string().min(1).optional(),
  AGENT_RUNNER_EVENTS_TABLE: z.string().min(1).optional(),
  AGENT_RUNNER_API_KEYS_TABLE: z.string().min(1).optional(),
  AGENT_RUNNER_TENANTS_TABLE: z.string().min(1).optional(),
  AGENT_RUNNER_QUEUE_URL: z.url().optional(),
  AGENT_RUNNER_QUEUE_URL_CRITICAL: z.url().optional(),
  AGENT_RUNNER_QUEUE_URL_HIGH: z.url().optional(),
  AGENT_RUNNER_QUEUE_URL_LOW: z.url().optional(),
  AGENT_RUNNER_FIFO_QUEUE_URL: z.url().optional(),
  /** aws: the queue pool worker tasks take pooled attempts from (`provision` creates `<prefix>-pool`). */
  AGENT_RUNNER_POOL_QUEUE_URL: z.url().optional(),
  /**
   * SQS long-poll wait (ReceiveMessage WaitTimeSeconds, at most 20). A dispatcher stops only after
   * its polls return: an aborted poll can still take a message server-side and hide it until its
   * visibility timeout, so stopping takes up to this long.
   */
  AGENT_RUNNER_QUEUE_WAIT_SECONDS: integer(1, 20).default(20),
  AGENT_RUNNER_BUCKET: z.string().min(1).optional(),
  AGENT_RUNNER_ECS_CLUSTER: z.string().min(1).optional(),
  AGENT_RUNNER_TASK_DEFINITION: z.string().min(1).optional(),
  AGENT_RUNNER_WORKER_CONTAINER: z.string().min(1).default('worker'),
  AGENT_RUNNER_SUBNETS: list.optional(),
  AGENT_RUNNER_SECURITY_GROUPS: list.optional(),
  AGENT_RUNNER_ASSIGN_PUBLIC_IP: flag.default(false),
  AGENT_RUNNER_NAME_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9-]{1,40}$/)
    .default('agent-runner'),

  ANTHROPIC_API_KEY: z.string().min(1).optional(),
  ANTHROPIC_BASE_URL: z.url().optional(),
  AGENT_RUNNER_ANTHROPIC_SECRET_NAME: z.string().min(1).optional(),
  /** The model a Claude job uses when its payload names none; must be allowed. */
  AGENT_RUNNER_DEFAULT_MODEL: z.string().min(1).optional(),
  /** Models a job may ask for; default: every priced model. Each must have a price. */
  AGENT_RUNNER_ALLOWED_MODELS: list.optional(),
  /** Price overrides and additions, `model=in/out/cacheWrite/cacheRead;…` in USD per million tokens. */
  AGENT_RUNNER_MODEL_PRICES: modelPrices.optional(),
  /**
   * How often the SDK retries a 408/409/429/5xx/connection failure within one attempt, waiting as
   * the API's retry-after says (else 0.5 s doubling to 8 s) before the job fails as retryable.
   */
  AGENT_RUNNER_ANTHROPIC_MAX_RETRIES: integer(0, 10).default(4),
  /** Hosts the tool_agent's http_get tool may fetch from (exact host names); none by default. */
  AGENT_RUNNER_HTTP_GET_ALLOWED_HOSTS: list.default([]),
  /**
   * Let http_get connect to loopback, private, link-local and other non-public addresses (local
   * development, tests). Off: an allowed host that resolves to one is refused (SSRF).
   */
  AGENT_RUNNER_HTTP_GET_ALLOW_PRIVATE: flag.default(false),
  /** Let a webhook URL be `http:` (local development, tests); off, only `https:` is accepted. */
  AGENT_RUNNER_WEBHOOK_ALLOW_HTTP: flag.default(false),
  /**
   * Let a webhook URL's host resolve to loopback, private, link-local and other non-public addresses
   * (local development, tests). Off: such a URL is refused at submit time and at delivery (SSRF).
   */
  AGENT_RUNNER_WEBHOOK_ALLOW_PRIVATE: flag.default(false),
  /** aws: tenants' default webhook endpoints; default `<table>-webhook-endpoints`. */
  AGENT_RUNNER_WEBHOOK_ENDPOINTS_TABLE: z.string().min(1).optional(),
  /** The first retry of a webhook delivery waits up to this long; each next one up to twice the last (4 h at most). */
  AGENT_RUNNER_WEBHOOK_BACKOFF_BASE_SECONDS: integer(1, 3600).default(5),
  /** aws: the webhook outbox; default `<table>-webhook-deliveries`. */
  AGENT_RUNNER_WEBHOOK_DELIVERIES_TABLE: z.string().min(1).optional(),
  /** aws: the SQS queue that wakes dispatchers for due webhook deliveries; without it they are found by the sweep alone. */
  AGENT_RUNNER_WEBHOOK_QUEUE_URL: z.url().optional(),
  ...OBSERVABILITY_ENV,
});

export type Env = z.infer<typeof ENV_SCHEMA>;

export interface AwsConfig {
  region: string;
  endpoint: string | null;
  table: string;
  /** Concurrency leases; default `<table>-leases`. */
  leasesTable: string;
  /** Live job events; default `<table>-events`. */
  eventsTable: string;
  /** API keys (hashes); default `<table>-api-keys`. */
  apiKeysTable: string;
  /** Tenant settings and daily spend; default `<table>-tenants`. */
  tenantsTable: string;
  /** Tenants' default webhook endpoints; default `<table>-webhook-endpoints`. */
  webhookEndpointsTable: string;
  /** The webhook outbox; default `<table>-webhook-deliveries`. */
  webhookDeliveriesTable: string;
  /** Wakes dispatchers for due deliveries; null: the sweep of overdue deliveries finds them. */
  webhookQueueUrl: string | null;
  bucket: string;
  queueUrls: Record<(typeof PRIORITIES)[number], string>;
  fifoQueueUrl: string | null;
  /** The warm pool's queue (pooled jobs on the ecs launcher); null: no pool on AWS. */
  poolQueueUrl: string | null;
  queueWaitSeconds: number;
  ecs: {
    cluster: string;
    taskDefinition: string;
    container: string;
    subnets: string[];
    securityGroups: string[];
    assignPublicIp: boolean;
  } | null;
}

export interface Config {
  backend: 'embedded' | 'aws';
  launcher: 'ecs' | 'process';
  host: string;
  apiPort: number;
  dispatcherPort: number;
  /** Where GET /metrics is served when not on the API's port; null: on the API's port. */
  metricsPort: number | null;
  auth: {
    mode: 'required' | 'off';
    /** False when the mode is the default for this backend and host (the start-up banner says which). */
    explicit: boolean;
    cacheSeconds: number;
  };
  queueDepthIntervalSeconds: number;
  dataDir: string;
  logLevel: Env['AGENT_RUNNER_LOG_LEVEL'];
  maxPayloadBytes: number;
  inlineLimitBytes: number;
  /** What the API accepts from the network besides valid requests. */
  http: {
    /** Lower-case host names without port; null: any. */
    allowedHosts: string[] | null;
    allowedOrigins: string[];
    headersTimeoutMs: number;
    requestTimeoutMs: number;
  };
  defaults: { maxAttempts: number; timeoutSeconds: number; tenant: string };
  dispatch: {
    claimTimeoutSeconds: number;
    sweepIntervalSeconds: number;
    visibilityTimeoutSeconds: number;
    requeueAfterSeconds: number;
    heartbeatSeconds: number;
    maxRunning: number;
    maxRunningByType: Record<string, number>;
    maxRunningPerTenant: number | null;
    priorityAgingSeconds: number;
    launchRatePerSecond: number;
    launchBurst: number;
    maxHoldSeconds: number;
    claudeAdmission: boolean;
  };
  events: { retentionSeconds: number; flushMs: number };
  /** Warm pools: which job types run pooled by default, and how big a pool is and how long a worker lives. */
  pool: { pooledTypes: string[]; min: number; max: number; recycleAfterJobs: number; maxRssMb: number; startTimeoutSeconds: number };
  tenants: {
    /** The quotas of a tenant with no settings of its own (null: no limit). */
    defaults: TenantQuotas;
    /** API instances sharing the submission rate (each enforces rate / apiInstances). */
    apiInstances: number;
    /** How long an API instance reuses a tenant's settings, queued count and today's spend. */
    cacheSeconds: number;
  };
  /** The command the process launcher runs for a worker; defaults to this repo's worker entry. */
  workerCommand: string[] | null;
  aws: AwsConfig | null;
  anthropic: {
    apiKey: string | null;
    baseUrl: string | null;
    secretName: string | null;
    defaultModel: string;
    /** Every allowed model has a price in `prices` (checked at load). */
    allowedModels: string[];
    /** The built-in list prices with AGENT_RUNNER_MODEL_PRICES applied over them. */
    prices: Record<string, ModelPrice>;
    maxRetries: number;
  };
  tools: { httpGetAllowedHosts: string[]; httpGetAllowPrivate: boolean };
  /** Which webhook URLs are accepted (at submit time) and reached (at delivery). */
  webhooks: { allowHttp: boolean; allowPrivate: boolean };
  /** How webhook deliveries are retried. */
  webhookDelivery: { backoffBaseSeconds: number };
  /** Compute prices, worker logs, ECS Exec (observability-config.ts). */
  observability: ObservabilityConfig;
  /** The validated variables, for passing the same configuration on to a child worker. */
  env: Record<string, string>;
}

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.problems = problems;
    this.name = 'ConfigError';
  }
}

/** Parse and validate the environment. Throws ConfigError naming every bad or missing variable. */
export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  const raw: Record<string, string> = {};
  for (const key of Object.keys(ENV_SCHEMA.shape)) {
    const value = source[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const parsed = ENV_SCHEMA.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? '?');
        return `${name}: ${issue.message}${raw[name] !== undefined ? ` (got "${raw[name]}")` : ''}`;
      }),
    );
  }
  const env = parsed.data;
  const problems: string[] = [];
  const need = <T>(name: keyof Env, value: T | undefined): T => {
    if (value === undefined) problems.push(`${name}: required when AGENT_RUNNER_BACKEND=aws`);
    return value as T;
  };
  const launcher = env.AGENT_RUNNER_LAUNCHER ?? (env.AGENT_RUNNER_BACKEND === 'aws' ? 'ecs' : 'process');
  if (launcher === 'ecs' && env.AGENT_RUNNER_BACKEND !== 'aws') {
    problems.push('AGENT_RUNNER_LAUNCHER: "ecs" needs AGENT_RUNNER_BACKEND=aws');
  }

  let aws: AwsConfig | null = null;
  if (env.AGENT_RUNNER_BACKEND === 'aws') {
    const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
    const normal = need('AGENT_RUNNER_QUEUE_URL', env.AGENT_RUNNER_QUEUE_URL);
    const table = need('AGENT_RUNNER_TABLE', env.AGENT_RUNNER_TABLE);
    aws = {
      region: need('AWS_REGION', region),
      endpoint: env.AWS_ENDPOINT_URL ?? null,
      table,
      leasesTable: env.AGENT_RUNNER_LEASES_TABLE ?? `${table}-leases`,
      eventsTable: env.AGENT_RUNNER_EVENTS_TABLE ?? `${table}-events`,
      apiKeysTable: env.AGENT_RUNNER_API_KEYS_TABLE ?? `${table}-api-keys`,
      tenantsTable: env.AGENT_RUNNER_TENANTS_TABLE ?? `${table}-tenants`,
      webhookEndpointsTable: env.AGENT_RUNNER_WEBHOOK_ENDPOINTS_TABLE ?? `${table}-webhook-endpoints`,
      webhookDeliveriesTable: env.AGENT_RUNNER_WEBHOOK_DELIVERIES_TABLE ?? `${table}-webhook-deliveries`,
      webhookQueueUrl: env.AGENT_RUNNER_WEBHOOK_QUEUE_URL ?? null,
      bucket: need('AGENT_RUNNER_BUCKET', env.AGENT_RUNNER_BUCKET),
      queueUrls: {
        critical: env.AGENT_RUNNER_QUEUE_URL_CRITICAL ?? normal,
        high: env.AGENT_RUNNER_QUEUE_URL_HIGH ?? normal,
        normal,
        low: env.AGENT_RUNNER_QUEUE_URL_LOW ?? normal,
      },
      fifoQueueUrl: env.AGENT_RUNNER_FIFO_QUEUE_URL ?? null,
      poolQueueUrl: env.AGENT_RUNNER_POOL_QUEUE_URL ?? null,
      queueWaitSeconds: env.AGENT_RUNNER_QUEUE_WAIT_SECONDS,
      ecs: null,
    };
    if (launcher === 'ecs') {
      aws.ecs = {
        cluster: need('AGENT_RUNNER_ECS_CLUSTER', env.AGENT_RUNNER_ECS_CLUSTER),
        taskDefinition: need('AGENT_RUNNER_TASK_DEFINITION', env.AGENT_RUNNER_TASK_DEFINITION),
        container: env.AGENT_RUNNER_WORKER_CONTAINER,
        subnets: need('AGENT_RUNNER_SUBNETS', env.AGENT_RUNNER_SUBNETS),
        securityGroups: need('AGENT_RUNNER_SECURITY_GROUPS', env.AGENT_RUNNER_SECURITY_GROUPS),
        assignPublicIp: env.AGENT_RUNNER_ASSIGN_PUBLIC_IP,
      };
    }
  }
  if (env.AGENT_RUNNER_POOL_MIN > env.AGENT_RUNNER_POOL_MAX) {
    problems.push('AGENT_RUNNER_POOL_MIN: must be at most AGENT_RUNNER_POOL_MAX');
  }
  if (env.AGENT_RUNNER_POOLED_TYPES.length > 0 && launcher === 'ecs' && env.AGENT_RUNNER_POOL_QUEUE_URL === undefined) {
    problems.push('AGENT_RUNNER_POOLED_TYPES: pooled jobs on the ecs launcher need AGENT_RUNNER_POOL_QUEUE_URL (the pool queue)');
  }
  if (env.AGENT_RUNNER_REQUEST_TIMEOUT_SECONDS < env.AGENT_RUNNER_HEADERS_TIMEOUT_SECONDS) {
    problems.push('AGENT_RUNNER_REQUEST_TIMEOUT_SECONDS: must be at least AGENT_RUNNER_HEADERS_TIMEOUT_SECONDS');
  }
  const anthropicModels = resolveModels(env, problems);
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    backend: env.AGENT_RUNNER_BACKEND,
    launcher,
    host: env.AGENT_RUNNER_HOST,
    apiPort: env.AGENT_RUNNER_PORT,
    dispatcherPort: env.AGENT_RUNNER_DISPATCHER_PORT,
    metricsPort: env.AGENT_RUNNER_METRICS_PORT ?? null,
    auth: {
      mode:
        env.AGENT_RUNNER_AUTH ?? (env.AGENT_RUNNER_BACKEND === 'embedded' && isLoopbackHost(env.AGENT_RUNNER_HOST) ? 'off' : 'required'),
      explicit: env.AGENT_RUNNER_AUTH !== undefined,
      cacheSeconds: env.AGENT_RUNNER_AUTH_CACHE_SECONDS,
    },
    queueDepthIntervalSeconds: env.AGENT_RUNNER_QUEUE_DEPTH_INTERVAL_SECONDS,
    dataDir: env.AGENT_RUNNER_DATA_DIR,
    logLevel: env.AGENT_RUNNER_LOG_LEVEL,
    maxPayloadBytes: env.AGENT_RUNNER_MAX_PAYLOAD_BYTES,
    inlineLimitBytes: env.AGENT_RUNNER_INLINE_LIMIT_BYTES,
    http: {
      allowedHosts: allowedHostsOf(env),
      allowedOrigins: env.AGENT_RUNNER_ALLOWED_ORIGINS,
      headersTimeoutMs: env.AGENT_RUNNER_HEADERS_TIMEOUT_SECONDS * 1000,
      requestTimeoutMs: env.AGENT_RUNNER_REQUEST_TIMEOUT_SECONDS * 1000,
    },
    defaults: {
      maxAttempts: env.AGENT_RUNNER_DEFAULT_MAX_ATTEMPTS,
      timeoutSeconds: env.AGENT_RUNNER_DEFAULT_TIMEOUT_SECONDS,
      tenant: env.AGENT_RUNNER_DEFAULT_TENANT,
    },
    dispatch: {
      claimTimeoutSeconds: env.AGENT_RUNNER_CLAIM_TIMEOUT_SECONDS,
      sweepIntervalSeconds: env.AGENT_RUNNER_SWEEP_INTERVAL_SECONDS,
      visibilityTimeoutSeconds: env.AGENT_RUNNER_VISIBILITY_TIMEOUT_SECONDS,
      requeueAfterSeconds: env.AGENT_RUNNER_REQUEUE_AFTER_SECONDS,
      heartbeatSeconds: env.AGENT_RUNNER_HEARTBEAT_SECONDS,
      maxRunning: env.AGENT_RUNNER_MAX_RUNNING,
      maxRunningByType: env.AGENT_RUNNER_MAX_RUNNING_BY_TYPE,
      maxRunningPerTenant: env.AGENT_RUNNER_MAX_RUNNING_PER_TENANT ?? null,
      priorityAgingSeconds: env.AGENT_RUNNER_PRIORITY_AGING_SECONDS,
      launchRatePerSecond: env.AGENT_RUNNER_LAUNCH_RATE,
      launchBurst: env.AGENT_RUNNER_LAUNCH_BURST,
      maxHoldSeconds: env.AGENT_RUNNER_MAX_HOLD_SECONDS,
      claudeAdmission: env.AGENT_RUNNER_CLAUDE_ADMISSION === 'on',
    },
    events: { retentionSeconds: env.AGENT_RUNNER_EVENT_RETENTION_HOURS * 3600, flushMs: env.AGENT_RUNNER_EVENT_FLUSH_MS },
    pool: {
      pooledTypes: env.AGENT_RUNNER_POOLED_TYPES,
      min: env.AGENT_RUNNER_POOL_MIN,
      max: env.AGENT_RUNNER_POOL_MAX,
      recycleAfterJobs: env.AGENT_RUNNER_POOL_RECYCLE_AFTER_JOBS,
      maxRssMb: env.AGENT_RUNNER_POOL_MAX_RSS_MB,
      startTimeoutSeconds: env.AGENT_RUNNER_POOL_START_TIMEOUT_SECONDS,
    },
    tenants: {
      defaults: {
        submitRate: env.AGENT_RUNNER_TENANT_SUBMIT_RATE,
        maxQueued: env.AGENT_RUNNER_TENANT_MAX_QUEUED,
        budgetUsdPerDay: env.AGENT_RUNNER_TENANT_BUDGET_USD_PER_DAY,
      },
      apiInstances: env.AGENT_RUNNER_API_INSTANCES,
      cacheSeconds: env.AGENT_RUNNER_TENANT_CACHE_SECONDS,
    },
    workerCommand: env.AGENT_RUNNER_WORKER_COMMAND ?? null,
    aws,
    anthropic: {
      apiKey: env.ANTHROPIC_API_KEY ?? null,
      baseUrl: env.ANTHROPIC_BASE_URL ?? null,
      secretName: env.AGENT_RUNNER_ANTHROPIC_SECRET_NAME ?? null,
      ...anthropicModels,
      maxRetries: env.AGENT_RUNNER_ANTHROPIC_MAX_RETRIES,
    },
    tools: { httpGetAllowedHosts: env.AGENT_RUNNER_HTTP_GET_ALLOWED_HOSTS, httpGetAllowPrivate: env.AGENT_RUNNER_HTTP_GET_ALLOW_PRIVATE },
    webhooks: { allowHttp: env.AGENT_RUNNER_WEBHOOK_ALLOW_HTTP, allowPrivate: env.AGENT_RUNNER_WEBHOOK_ALLOW_PRIVATE },
    webhookDelivery: { backoffBaseSeconds: env.AGENT_RUNNER_WEBHOOK_BACKOFF_BASE_SECONDS },
    observability: observabilityConfig(env, launcher),
    env: raw,
  };
}

/** Whether the API would listen only on this machine: 127.0.0.0/8, ::1 or localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** Host names a loopback listener answers to by default. */
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];

/** AGENT_RUNNER_ALLOWED_HOSTS as lower-case names without brackets, or null for any (`*`). */
function allowedHostsOf(env: Env): string[] | null {
  const given = env.AGENT_RUNNER_ALLOWED_HOSTS;
  if (given === undefined) {
    const bound = env.AGENT_RUNNER_HOST.toLowerCase();
    return isLoopbackHost(bound) ? [...new Set([...LOOPBACK_NAMES, bound.replace(/^\[(.*)\]$/, '$1')])] : null;
  }
  if (given.includes('*')) return null;
  return given.map((h) => h.toLowerCase().replace(/^\[(.*)\]$/, '$1'));
}

/** Merges the price list and checks that the default model is allowed and every allowed model priced. */
function resolveModels(
  env: Env,
  problems: string[],
): { defaultModel: string; allowedModels: string[]; prices: Record<string, ModelPrice> } {
  const prices: Record<string, ModelPrice> = { ...DEFAULT_MODEL_PRICES, ...env.AGENT_RUNNER_MODEL_PRICES };
  const allowedModels = env.AGENT_RUNNER_ALLOWED_MODELS ?? Object.keys(prices);
  const defaultModel = env.AGENT_RUNNER_DEFAULT_MODEL ?? DEFAULT_MODEL;
  const unpriced = allowedModels.filter((model) => priceOf(model, prices) === null);
  if (unpriced.length > 0) {
    problems.push(`AGENT_RUNNER_ALLOWED_MODELS: no price for ${unpriced.join(', ')}; add it to AGENT_RUNNER_MODEL_PRICES`);
  }
  if (!allowedModels.includes(defaultModel)) {
    problems.push(`AGENT_RUNNER_DEFAULT_MODEL: "${defaultModel}" is not among the allowed models (AGENT_RUNNER_ALLOWED_MODELS)`);
  }
  return { defaultModel, allowedModels, prices };
}
