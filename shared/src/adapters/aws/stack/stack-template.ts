import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/**
 * infra/agent-runner.cfn.yaml, read as data: the one list of agent-runner's AWS resources. `deploy`
 * sends it to CloudFormation as it is; `provision` (emulators, LocalStack, tests) creates its queues and
 * tables from the same definitions, so the two cannot drift apart. Adding a table is one resource in the
 * template (plus the environment variable that names it in the containers that use it).
 */
export const TEMPLATE_PATH = new URL('../../../../../infra/agent-runner.cfn.yaml', import.meta.url);

type Intrinsic = { Ref: string } | { 'Fn::Sub': string } | { 'Fn::GetAtt': string } | Record<string, unknown>;

interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
}

// CloudFormation's short forms, kept as { Ref } / { 'Fn::…' } objects.
const INTRINSICS = ['Ref', 'Sub', 'GetAtt', 'Join', 'Select', 'Split', 'If', 'Equals', 'Not', 'FindInMap', 'Base64', 'ImportValue'];
const customTags = INTRINSICS.map((name) => ({
  tag: `!${name}`,
  resolve: (value: unknown) => ({ [name === 'Ref' ? 'Ref' : `Fn::${name}`]: value }),
}));

let cached: { text: string; resources: Record<string, Resource> } | undefined;

/** The template's text (what `deploy` sends) and its parsed resources. */
export function loadStackTemplate(): { text: string; resources: Record<string, Resource> } {
  if (cached) return cached;
  const text = readFileSync(TEMPLATE_PATH, 'utf8');
  const parsed = parse(text, { customTags, logLevel: 'error' }) as { Resources: Record<string, Resource> };
  cached = { text, resources: parsed.Resources };
  return cached;
}

/** `!Sub '${Prefix}-jobs'` with the prefix given; a plain string as it is. */
function nameOf(value: unknown, prefix: string, where: string): string {
  if (typeof value === 'string') return value;
  const sub = (value as { 'Fn::Sub'?: unknown })['Fn::Sub'];
  // The template's own placeholder, not a JavaScript one.
  const placeholder = '$' + '{Prefix}';
  if (typeof sub === 'string' && !/\$\{(?!Prefix\})/.test(sub)) return sub.replaceAll(placeholder, prefix);
  throw new Error(`${where}: a name provision cannot resolve (${JSON.stringify(value)})`);
}

export interface TemplateTable {
  logicalId: string;
  name: string;
  attributeDefinitions: { AttributeName: string; AttributeType: 'S' | 'N' | 'B' }[];
  keySchema: { AttributeName: string; KeyType: 'HASH' | 'RANGE' }[];
  globalSecondaryIndexes: {
    IndexName: string;
    KeySchema: { AttributeName: string; KeyType: 'HASH' | 'RANGE' }[];
    Projection: { ProjectionType: 'ALL' | 'KEYS_ONLY' | 'INCLUDE'; NonKeyAttributes?: string[] };
  }[];
  /** The TTL attribute, when the table has TTL enabled. */
  ttlAttribute: string | null;
}

export function templateTables(prefix: string): TemplateTable[] {
  return Object.entries(loadStackTemplate().resources)
    .filter(([, r]) => r.Type === 'AWS::DynamoDB::Table')
    .map(([logicalId, r]) => {
      const p = r.Properties as Record<string, unknown> & { TimeToLiveSpecification?: { AttributeName: string; Enabled: boolean } };
      return {
        logicalId,
        name: nameOf(p.TableName, prefix, logicalId),
        attributeDefinitions: p.AttributeDefinitions as TemplateTable['attributeDefinitions'],
        keySchema: p.KeySchema as TemplateTable['keySchema'],
        globalSecondaryIndexes: (p.GlobalSecondaryIndexes as TemplateTable['globalSecondaryIndexes'] | undefined) ?? [],
        ttlAttribute: p.TimeToLiveSpecification?.Enabled ? p.TimeToLiveSpecification.AttributeName : null,
      };
    });
}

export interface TemplateQueue {
  logicalId: string;
  name: string;
  fifo: boolean;
  /** SQS attributes as CreateQueue takes them (strings), without the redrive policy. */
  attributes: Record<string, string>;
  /** The dead-letter queue's logical id and receive count, when the queue has one. */
  redrive: { deadLetterLogicalId: string; maxReceiveCount: number } | null;
}

// The template's queue properties that are SQS attributes of the same name.
const QUEUE_ATTRIBUTES = [
  'FifoQueue',
  'ContentBasedDeduplication',
  'VisibilityTimeout',
  'ReceiveMessageWaitTimeSeconds',
  'MessageRetentionPeriod',
];

/** The template's queues, dead-letter queues first (a queue's redrive policy names its DLQ's ARN). */
export function templateQueues(prefix: string): TemplateQueue[] {
  const queues = Object.entries(loadStackTemplate().resources)
    .filter(([, r]) => r.Type === 'AWS::SQS::Queue')
    .map(([logicalId, r]): TemplateQueue => {
      const p = r.Properties as Record<string, unknown>;
      const attributes: Record<string, string> = {};
      for (const key of QUEUE_ATTRIBUTES) if (p[key] !== undefined) attributes[key] = String(p[key]);
      const policy = p.RedrivePolicy as { deadLetterTargetArn: { 'Fn::GetAtt': string | string[] }; maxReceiveCount: number } | undefined;
      const target = policy?.deadLetterTargetArn['Fn::GetAtt'];
      const deadLetterLogicalId = Array.isArray(target) ? target[0] : target?.split('.')[0];
      return {
        logicalId,
        name: nameOf(p.QueueName, prefix, logicalId),
        fifo: p.FifoQueue === true,
        attributes,
        redrive: policy && deadLetterLogicalId ? { deadLetterLogicalId, maxReceiveCount: Number(policy.maxReceiveCount) } : null,
      };
    });
  return [...queues.filter((q) => !q.redrive), ...queues.filter((q) => q.redrive)];
}

/**
 * Which variable names which resource, from the containers' environments: `AGENT_RUNNER_TABLE: !Ref
 * JobsTable` gives AGENT_RUNNER_TABLE → JobsTable. Every container's, merged (they agree by design).
 */
export function templateEnvironmentRefs(): Map<string, string> {
  const refs = new Map<string, string>();
  for (const r of Object.values(loadStackTemplate().resources)) {
    if (r.Type !== 'AWS::ECS::TaskDefinition') continue;
    for (const container of (r.Properties?.ContainerDefinitions as { Environment?: { Name: string; Value: Intrinsic }[] }[]) ?? [])
      for (const variable of container.Environment ?? []) {
        const ref = (variable.Value as { Ref?: unknown }).Ref;
        if (typeof ref === 'string') refs.set(variable.Name, ref);
      }
  }
  return refs;
}

/**
 * A worker's container as the template defines it: its name and command. `WorkerTaskDefinition` (the
 * one-shot worker) by default; `PoolWorkerTaskDefinition` for the warm pool's.
 */
export function templateWorkerContainer(logicalId = 'WorkerTaskDefinition'): {
  name: string;
  command: string[];
  workingDirectory: string | undefined;
} {
  const definition = loadStackTemplate().resources[logicalId];
  const container = (definition?.Properties?.ContainerDefinitions as { Name: string; Command: string[]; WorkingDirectory?: string }[])?.[0];
  if (!container) throw new Error(`the template has no ${logicalId} container`);
  return { name: container.Name, command: container.Command, workingDirectory: container.WorkingDirectory };
}

/**
 * The warm pool's scaling policy as the template defines it (PoolBacklogScaling): its target-tracking
 * configuration, each `!Ref X` / `!GetAtt X.Attr` in it replaced by `resolve('X')` / `resolve('X.Attr')`
 * (provision knows the cluster, the queue's and the service's names), so provision registers what
 * `deploy` would. An intrinsic it cannot resolve is an error, not a policy with a hole in it.
 */
export function templatePoolScalingPolicy(resolve: (ref: string) => string): unknown {
  const policy = loadStackTemplate().resources.PoolBacklogScaling;
  const configuration = policy?.Properties?.TargetTrackingScalingPolicyConfiguration;
  if (!configuration) throw new Error('the template has no PoolBacklogScaling target-tracking configuration');
  return resolveIntrinsics(configuration, resolve, 'PoolBacklogScaling');
}

function resolveIntrinsics(value: unknown, resolve: (ref: string) => string, where: string): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveIntrinsics(v, resolve, where));
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value);
  const [key, arg] = entries[0] ?? [];
  if (entries.length === 1 && key === 'Ref' && typeof arg === 'string') return resolve(arg);
  if (entries.length === 1 && key === 'Fn::GetAtt') return resolve(Array.isArray(arg) ? arg.join('.') : String(arg));
  if (entries.length === 1 && key?.startsWith('Fn::')) throw new Error(`${where}: provision cannot resolve ${key}`);
  return Object.fromEntries(entries.map(([k, v]) => [k, resolveIntrinsics(v, resolve, where)]));
}
