import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'vitest';
import { parse } from 'yaml';
import { JOBS_TABLE } from '@agent-runner/shared/adapters/aws/jobs-table.ts';
import { ensureCfnLintInstalled } from '../../support/cfn-lint.ts';

// infra/agent-runner.cfn.yaml checked three ways: cfn-lint (pinned, see test/support/cfn-lint.ts), the
// jobs table against the shape the code queries, and each service's role against the AWS calls its
// code makes (derived from the sources, so a new call without its permission fails here).

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const TEMPLATE = join(REPO, 'infra', 'agent-runner.cfn.yaml');

// CloudFormation's short forms, kept as { Ref } / { 'Fn::…' } so references can be followed.
const INTRINSICS = ['Ref', 'Sub', 'GetAtt', 'Join', 'Select', 'Split', 'If', 'Equals', 'Not', 'FindInMap', 'Base64', 'ImportValue'];
const customTags = INTRINSICS.map((name) => ({
  tag: `!${name}`,
  resolve: (value: string) => ({ [name === 'Ref' ? 'Ref' : `Fn::${name}`]: value }),
}));

interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
}
interface Statement {
  Effect: string;
  Action: string | string[];
}
const template = parse(readFileSync(TEMPLATE, 'utf8'), { customTags, logLevel: 'error' }) as { Resources: Record<string, Resource> };
const resources = template.Resources;

test('cfn-lint finds no error and no warning in the template', () => {
  const cfnLint = ensureCfnLintInstalled();
  const out = spawnSync(cfnLint, ['--format', 'parseable', TEMPLATE], { encoding: 'utf8' });
  // Exit status: 0 clean, else a bit mask (2 errors, 4 warnings, 8 informational, 1 a crash).
  assert.equal(out.status, 0, `cfn-lint:\n${out.stdout}${out.stderr}`);
});

test('the jobs table has exactly the indexes the code queries (shared/src/adapters/aws/jobs-table.ts)', () => {
  const props = resources.JobsTable?.Properties as {
    KeySchema: { AttributeName: string; KeyType: string }[];
    AttributeDefinitions: { AttributeName: string }[];
    GlobalSecondaryIndexes: {
      IndexName: string;
      KeySchema: { AttributeName: string }[];
      Projection: { ProjectionType: string; NonKeyAttributes?: string[] };
    }[];
    TimeToLiveSpecification: { AttributeName: string; Enabled: boolean };
  };
  assert.deepEqual(props.KeySchema, [{ AttributeName: JOBS_TABLE.partitionKey, KeyType: 'HASH' }]);
  const wanted = [JOBS_TABLE.allIndex, JOBS_TABLE.statusIndex, JOBS_TABLE.typeIndex, JOBS_TABLE.tenantIndex, JOBS_TABLE.tenantStatusIndex];
  const actual = new Map(props.GlobalSecondaryIndexes.map((i) => [i.IndexName, i]));
  assert.deepEqual([...actual.keys()].sort(), wanted.map((i) => i.name).sort(), 'index names');
  for (const index of wanted) {
    const got = actual.get(index.name)!;
    assert.deepEqual(
      got.KeySchema.map((k) => k.AttributeName),
      [index.partitionKey, index.sortKey],
      `${index.name}: keys`,
    );
    const projection =
      index.include.length > 0 ? { ProjectionType: 'INCLUDE', NonKeyAttributes: [...index.include] } : { ProjectionType: 'KEYS_ONLY' };
    assert.deepEqual(got.Projection, projection, `${index.name}: projection`);
  }
  const keyAttributes = new Set([JOBS_TABLE.partitionKey, ...wanted.flatMap((i) => [i.partitionKey, i.sortKey])]);
  assert.deepEqual(props.AttributeDefinitions.map((a) => a.AttributeName).sort(), [...keyAttributes].sort(), 'attribute definitions');
  assert.deepEqual(props.TimeToLiveSpecification, { AttributeName: JOBS_TABLE.idempotency.ttlAttribute, Enabled: true });
});

// --- the AWS calls the code makes, and the IAM action each needs -------------------------------------

/**
 * Each SDK command the code constructs, by package, and the IAM actions it needs. 'transaction': a
 * TransactWriteItems call has no action of its own; each of its items is authorised by its own
 * action (Put → PutItem, Update → UpdateItem, Delete → DeleteItem, ConditionCheck → ConditionCheckItem).
 * SQS authorises the batch calls by the single-message action.
 */
const ROLE_COMMANDS: Record<string, string[] | 'transaction'> = {
  'lib-dynamodb:GetCommand': ['dynamodb:GetItem'],
  'lib-dynamodb:PutCommand': ['dynamodb:PutItem'],
  'lib-dynamodb:UpdateCommand': ['dynamodb:UpdateItem'],
  'lib-dynamodb:DeleteCommand': ['dynamodb:DeleteItem'],
  'lib-dynamodb:QueryCommand': ['dynamodb:Query'],
  'lib-dynamodb:ScanCommand': ['dynamodb:Scan'],
  'lib-dynamodb:BatchGetCommand': ['dynamodb:BatchGetItem'],
  'lib-dynamodb:TransactWriteCommand': 'transaction',
  'client-sqs:SendMessageCommand': ['sqs:SendMessage'],
  'client-sqs:ReceiveMessageCommand': ['sqs:ReceiveMessage'],
  'client-sqs:DeleteMessageCommand': ['sqs:DeleteMessage'],
  'client-sqs:DeleteMessageBatchCommand': ['sqs:DeleteMessage'],
  'client-sqs:ChangeMessageVisibilityCommand': ['sqs:ChangeMessageVisibility'],
  'client-sqs:ChangeMessageVisibilityBatchCommand': ['sqs:ChangeMessageVisibility'],
  'client-sqs:GetQueueAttributesCommand': ['sqs:GetQueueAttributes'],
  'client-s3:GetObjectCommand': ['s3:GetObject'],
  'client-s3:PutObjectCommand': ['s3:PutObject'],
  'client-s3:DeleteObjectCommand': ['s3:DeleteObject'],
  'client-secrets-manager:GetSecretValueCommand': ['secretsmanager:GetSecretValue'],
  // The launch carries tags (ecs:TagResource) and the task's roles (iam:PassRole).
  'client-ecs:RunTaskCommand': ['ecs:RunTask', 'ecs:TagResource', 'iam:PassRole'],
  'client-ecs:StopTaskCommand': ['ecs:StopTask'],
  'client-ecs:DescribeTasksCommand': ['ecs:DescribeTasks'],
};

/**
 * What the operator's commands call (`provision`, and `deploy`, `destroy`, `pause`, `resume`, `status`
 * under shared/src/adapters/aws/stack/): the operator's own credentials, not a service's role — the
 * stack's roles need none of these, and may hold none that no service calls (so the API and the
 * dispatcher cannot pause, scale or delete the stack). Listed so a new operator call is deliberate too.
 */
const OPERATOR_COMMANDS: Record<string, string[]> = {
  'client-sqs:CreateQueueCommand': ['sqs:CreateQueue'],
  'client-sqs:GetQueueAttributesCommand': ['sqs:GetQueueAttributes'],
  'client-sqs:GetQueueUrlCommand': ['sqs:GetQueueUrl'],
  'client-sqs:SetQueueAttributesCommand': ['sqs:SetQueueAttributes'],
  'client-dynamodb:CreateTableCommand': ['dynamodb:CreateTable'],
  'client-dynamodb:DescribeTableCommand': ['dynamodb:DescribeTable'],
  'client-dynamodb:UpdateTableCommand': ['dynamodb:UpdateTable'],
  'client-dynamodb:UpdateTimeToLiveCommand': ['dynamodb:UpdateTimeToLive'],
  'client-s3:CreateBucketCommand': ['s3:CreateBucket'],
  'client-s3:HeadBucketCommand': ['s3:ListBucket'],
  'client-ecs:CreateClusterCommand': ['ecs:CreateCluster'],
  'client-ecs:RegisterTaskDefinitionCommand': ['ecs:RegisterTaskDefinition', 'iam:PassRole'],
  'client-ecs:DescribeTaskDefinitionCommand': ['ecs:DescribeTaskDefinition'],
  // The warm pool's service, scalable target and scaling policy (provision-pool.ts).
  'client-ecs:CreateServiceCommand': ['ecs:CreateService', 'iam:PassRole'],
  'client-application-auto-scaling:PutScalingPolicyCommand': ['application-autoscaling:PutScalingPolicy'],
  'client-ec2:DescribeVpcsCommand': ['ec2:DescribeVpcs'],
  'client-ec2:DescribeSubnetsCommand': ['ec2:DescribeSubnets'],
  'client-ec2:DescribeSecurityGroupsCommand': ['ec2:DescribeSecurityGroups'],
  // deploy / destroy (shared/src/adapters/aws/stack/cloudformation-stack.ts). CloudFormation then acts
  // with the caller's permissions for every resource in the template.
  'client-cloudformation:DescribeStacksCommand': ['cloudformation:DescribeStacks'],
  'client-cloudformation:ListStackResourcesCommand': ['cloudformation:ListStackResources'],
  'client-cloudformation:CreateChangeSetCommand': ['cloudformation:CreateChangeSet'],
  'client-cloudformation:DescribeChangeSetCommand': ['cloudformation:DescribeChangeSet'],
  'client-cloudformation:DeleteChangeSetCommand': ['cloudformation:DeleteChangeSet'],
  'client-cloudformation:ExecuteChangeSetCommand': ['cloudformation:ExecuteChangeSet'],
  'client-cloudformation:DescribeStackEventsCommand': ['cloudformation:DescribeStackEvents'],
  'client-cloudformation:DeleteStackCommand': ['cloudformation:DeleteStack'],
  'client-dynamodb:DeleteTableCommand': ['dynamodb:DeleteTable'],
  'client-s3:ListObjectVersionsCommand': ['s3:ListBucketVersions'],
  'client-s3:DeleteObjectsCommand': ['s3:DeleteObject', 's3:DeleteObjectVersion'],
  'client-s3:DeleteBucketCommand': ['s3:DeleteBucket'],
  // pause / resume / status (stack-operations.ts).
  'client-ecs:ListTasksCommand': ['ecs:ListTasks'],
  'client-ecs:DescribeServicesCommand': ['ecs:DescribeServices'],
  'client-ecs:UpdateServiceCommand': ['ecs:UpdateService'],
  'client-application-auto-scaling:RegisterScalableTargetCommand': ['application-autoscaling:RegisterScalableTarget'],
  'client-cloudwatch:DescribeAlarmsCommand': ['cloudwatch:DescribeAlarms'],
  'client-cloudwatch:DisableAlarmActionsCommand': ['cloudwatch:DisableAlarmActions'],
  'client-cloudwatch:EnableAlarmActionsCommand': ['cloudwatch:EnableAlarmActions'],
  'client-dynamodb:ScanCommand': ['dynamodb:Scan'],
  // The operator's CLI: `agent-runner logs` (a worker's stream) and `agent-runner exec`.
  'client-cloudwatch-logs:GetLogEventsCommand': ['logs:GetLogEvents'],
  'client-ecs:ExecuteCommandCommand': ['ecs:ExecuteCommand'],
  'client-ecs:DescribeTasksCommand': ['ecs:DescribeTasks'],
};

const TRANSACTION_ITEM_ACTIONS: Record<string, string> = {
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
};

/** Production sources: no tests, nothing generated. */
function sources(dir: string): string[] {
  return readdirSync(join(REPO, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath, e.name))
    .filter((path) => !path.includes(`${join('/', 'node_modules', '/')}`));
}

/** `package:XxxCommand` for each `new XxxCommand(` whose class comes from an @aws-sdk package. */
function commandsIn(text: string): string[] {
  const packageOf = new Map<string, string>();
  for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*['"]@aws-sdk\/([\w-]+)['"]/g))
    for (const name of m[1]!.split(',').map((s) => s.replace(/^\s*type\s+/, '').trim()))
      if (name) packageOf.set(name.split(/\s+as\s+/).pop()!, m[2]!);
  const found = new Set<string>();
  for (const m of text.matchAll(/new\s+(\w+Command)\s*\(/g)) {
    const pkg = packageOf.get(m[1]!);
    if (pkg) found.add(`${pkg}:${m[1]}`);
  }
  return [...found];
}

/** The actions one file's calls need; a command missing from the tables is reported, not skipped. */
function actionsOf(text: string, table: Record<string, string[] | 'transaction'>, unmapped: string[], where: string): Set<string> {
  const actions = new Set<string>();
  for (const command of commandsIn(text)) {
    const mapped = table[command];
    if (!mapped) unmapped.push(`${where}: ${command}`);
    else if (mapped === 'transaction') {
      const kinds = [...text.matchAll(/\b(Put|Update|Delete|ConditionCheck)\s*:\s*\{/g)].map((m) => TRANSACTION_ITEM_ACTIONS[m[1]!]!);
      assert.ok(kinds.length > 0, `${where}: a transaction with no recognisable items`);
      for (const action of kinds) actions.add(action);
    } else for (const action of mapped) actions.add(action);
  }
  return actions;
}

const ADAPTERS = join(REPO, 'shared', 'src', 'adapters', 'aws');
/** Run by an operator with their own credentials (provision, deploy and the stack commands, the CLI's logs and exec), never by a service. */
const isOperatorFile = (path: string) =>
  /provision|adapters\/aws\/stack\/|cloudwatch-log-reader|ecs-exec-session/.test(relative(REPO, path));

/** Backend member (`jobs`, `queue`, `createFeed`, …) → the AWS adapter file behind it, from aws-backend.ts. */
function backendMembers(): Map<string, string> {
  const text = readFileSync(join(ADAPTERS, 'aws-backend.ts'), 'utf8');
  const fileOf = new Map(
    [...text.matchAll(/import\s*\{\s*(\w+)\s*\}\s*from\s*'\.\/([\w-]+\.ts)'/g)].map((m) => [m[1]!, join(ADAPTERS, m[2]!)]),
  );
  const members = new Map<string, string>();
  // The first adapter made after `from`: `new DynamoDbJobStore(…)`, or one imported on first use,
  // `import('./sqs-job-queue.ts')` (load-on-first-use.ts: a worker loads only the clients it needs).
  const adapterAfter = (from: number) => {
    for (const m of text.slice(from).matchAll(/\bnew\s+(\w+)\(|\bimport\('\.\/([\w-]+\.ts)'\)/g)) {
      const file = m[1] !== undefined ? fileOf.get(m[1]) : join(ADAPTERS, m[2]!);
      if (file !== undefined) return file;
    }
    return undefined;
  };
  // `jobs: new DynamoDbJobStore(…)`; `secrets: new SecretsLoadedOnFirstUse(… import('./x.ts') …)`;
  // `queue,` for `const queue = …`; `createFeed(…) { … }`.
  for (const m of text.matchAll(/^\s+(\w+): new (\w+)\(/gm)) {
    const file = fileOf.get(m[2]!) ?? adapterAfter(m.index);
    if (file) members.set(m[1]!, file);
  }
  for (const m of text.matchAll(/^\s+(\w+),$/gm)) {
    // `const queue = new …`, or `const x = url === null ? null : new …` (an optional part).
    const made = new RegExp(`const ${m[1]} =[^;]*?\\bnew `).exec(text);
    const file = made ? adapterAfter(made.index) : undefined;
    if (file) members.set(m[1]!, file);
  }
  for (const m of text.matchAll(/^\s+(create\w+)\([^)]*\)\s*\{/gm)) {
    const file = adapterAfter(m.index + m[0].length);
    if (file) members.set(m[1]!, file);
  }
  return members;
}

/** Backend members a service's own code uses (`backend.jobs`, `deps.backend.queue`, …). */
function membersUsedBy(service: string): Set<string> {
  const used = new Set<string>();
  for (const file of sources(join('services', service, 'src')))
    for (const m of readFileSync(file, 'utf8').matchAll(/\bbackend\.(\w+)/g)) used.add(m[1]!);
  return used;
}

/** A role's policy documents: inline, and the template's managed policies it attaches. */
function policyDocumentsOf(roleName: string): { Statement: Statement[] }[] {
  const role = resources[roleName];
  assert.equal(role?.Type, 'AWS::IAM::Role', `${roleName} is a role in the template`);
  const documents: { Statement: Statement[] }[] = [];
  for (const p of (role.Properties?.Policies as { PolicyDocument: { Statement: Statement[] } }[] | undefined) ?? [])
    documents.push(p.PolicyDocument);
  for (const arn of (role.Properties?.ManagedPolicyArns as unknown[] | undefined) ?? []) {
    const ref = (arn as { Ref?: string }).Ref;
    if (ref) documents.push(resources[ref]!.Properties!.PolicyDocument as { Statement: Statement[] });
  }
  return documents;
}

/**
 * A statement under `!If [Condition, statement, !Ref AWS::NoValue]` counts as granted. The custom
 * tags above resolve scalars only, so a tagged sequence parses as its plain [condition, then, else].
 */
type MaybeConditional = Statement | unknown[];
function unwrapCondition(statement: MaybeConditional): Statement[] {
  if (!Array.isArray(statement)) return [statement];
  return statement.slice(1).filter((s): s is Statement => typeof s === 'object' && s !== null && 'Effect' in s);
}

/**
 * Actions a role holds for AWS's own agent in the task, not for the code: with ECS Exec on (the
 * EcsExec parameter), the SSM agent opens its channels with the worker's task role.
 */
const PLATFORM_ACTIONS: Record<string, string[]> = {
  worker: [
    'ssmmessages:CreateControlChannel',
    'ssmmessages:CreateDataChannel',
    'ssmmessages:OpenControlChannel',
    'ssmmessages:OpenDataChannel',
  ],
};

/** The actions a role's Allow statements grant (wildcards kept). */
function allowedBy(roleName: string): string[] {
  return policyDocumentsOf(roleName)
    .flatMap((d) => d.Statement.flatMap(unwrapCondition))
    .filter((s) => s.Effect === 'Allow')
    .flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
}

const allows = (granted: string[], action: string) =>
  granted.some((g) => new RegExp(`^${g.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i').test(action));

/** The role of the service whose task definition's container is named `service` (api, dispatcher, worker). */
function roleOfService(service: string): string {
  const definition = Object.values(resources).find(
    (r) =>
      r.Type === 'AWS::ECS::TaskDefinition' &&
      (r.Properties?.ContainerDefinitions as { Name?: string }[] | undefined)?.[0]?.Name === service,
  );
  assert.ok(definition, `a task definition runs the \`${service}\` container`);
  const ref = (definition.Properties!.TaskRoleArn as { 'Fn::GetAtt': string })['Fn::GetAtt'];
  return ref.split('.')[0]!;
}

const SERVICES = ['api', 'dispatcher', 'worker'];

/** Per service: the actions its code needs, derived from the adapters behind the backend members it uses. */
function neededActions(): { needs: Map<string, Set<string>>; unmapped: string[]; unattributed: string[]; operator: Set<string> } {
  const unmapped: string[] = [];
  const members = backendMembers();
  const byFile = new Map<string, Set<string>>();
  const operator = new Set<string>();
  const unattributed: string[] = [];
  const attributed = new Set(members.values());
  for (const file of [...sources('shared/src'), ...SERVICES.flatMap((s) => sources(`services/${s}/src`)), ...sources('bin')]) {
    const text = readFileSync(file, 'utf8');
    const where = relative(REPO, file);
    if (isOperatorFile(file)) {
      for (const action of actionsOf(text, OPERATOR_COMMANDS, unmapped, where)) operator.add(action);
      continue;
    }
    const actions = actionsOf(text, ROLE_COMMANDS, unmapped, where);
    // A library that calls AWS itself: its calls are this file's calls.
    if (/from\s+'sqs-consumer'/.test(text)) {
      const consumer = readFileSync(join(REPO, 'node_modules', 'sqs-consumer', 'dist', 'esm', 'consumer.js'), 'utf8');
      for (const action of actionsOf(consumer, ROLE_COMMANDS, unmapped, `sqs-consumer (used by ${where})`)) actions.add(action);
    }
    if (actions.size > 0 && !attributed.has(file)) unattributed.push(where);
    byFile.set(file, actions);
  }
  const needs = new Map<string, Set<string>>();
  for (const service of SERVICES) {
    const actions = new Set<string>();
    for (const member of membersUsedBy(service)) for (const action of byFile.get(members.get(member) ?? '') ?? []) actions.add(action);
    needs.set(service, actions);
  }
  return { needs, unmapped, unattributed, operator };
}

test('every AWS command the code constructs has its IAM action in the table above', () => {
  const { unmapped, unattributed } = neededActions();
  assert.deepEqual(unmapped, [], 'add each to ROLE_COMMANDS (a service calls it) or OPERATOR_COMMANDS (only provision does)');
  assert.deepEqual(unattributed, [], 'AWS calls outside the adapters aws-backend.ts builds: which service makes them?');
});

test("each service's role allows every action its code calls", () => {
  const { needs } = neededActions();
  // Guards the derivation itself: a scan that found nothing would pass any template.
  assert.ok(
    needs.get('api')!.has('sqs:SendMessage') && needs.get('dispatcher')!.has('ecs:RunTask') && needs.get('worker')!.has('s3:PutObject'),
  );
  const missing = SERVICES.map((service) => {
    const role = roleOfService(service);
    const granted = allowedBy(role);
    return `${service} (${role}): ${[...needs.get(service)!]
      .filter((action) => !allows(granted, action))
      .sort()
      .join(' ')}`;
  });
  assert.deepEqual(
    missing,
    SERVICES.map((service) => `${service} (${roleOfService(service)}): `),
    'permissions missing from the roles',
  );
});

test('only the dispatcher can launch or stop workers; the provisioning actions are in no role', () => {
  const { operator, needs } = neededActions();
  const serviceActions = new Set(SERVICES.flatMap((service) => [...needs.get(service)!]));
  for (const service of ['api', 'worker']) {
    const granted = allowedBy(roleOfService(service));
    for (const action of ['ecs:RunTask', 'ecs:StopTask', 'iam:PassRole']) assert.ok(!allows(granted, action), `${service} may ${action}`);
  }
  assert.ok(allows(allowedBy(roleOfService('dispatcher')), 'ecs:RunTask'));
  for (const service of SERVICES) {
    const granted = allowedBy(roleOfService(service));
    const operatorOnly = [...operator].filter((action) => !serviceActions.has(action) && allows(granted, action));
    assert.deepEqual(operatorOnly, [], `${service}'s role may provision`);
  }
});

test("only the API's role reaches the API keys table", () => {
  const mentions = (role: string) => JSON.stringify(policyDocumentsOf(role)).includes('ApiKeysTable');
  assert.ok(mentions(roleOfService('api')));
  for (const service of ['dispatcher', 'worker'])
    assert.ok(!mentions(roleOfService(service)), `${service}'s role names the API keys table`);
});

test("no service's role allows an action its code does not call", () => {
  const { needs } = neededActions();
  const extra = SERVICES.map((service) => {
    const role = roleOfService(service);
    const granted = allowedBy(role);
    assert.ok(!granted.some((action) => action.includes('*')), `${role} grants a wildcard action`);
    return `${service} (${role}): ${granted
      .filter((action) => !needs.get(service)!.has(action) && !(PLATFORM_ACTIONS[service] ?? []).includes(action))
      .sort()
      .join(' ')}`;
  });
  assert.deepEqual(
    extra,
    SERVICES.map((service) => `${service} (${roleOfService(service)}): `),
    'actions granted beyond what the code calls',
  );
});

test('the template fits in a CreateChangeSet request (TemplateBody: 51,200 bytes at most)', () => {
  // deploy sends it inline; past this it would have to go through S3 (TemplateURL), which deploy does not do.
  const bytes = readFileSync(TEMPLATE).byteLength;
  assert.ok(bytes <= 51_200, `${bytes} bytes`);
});

test("ECS Exec's channels are the worker's alone, and only under the EcsExec parameter", () => {
  const statements = policyDocumentsOf(roleOfService('worker')).flatMap((d) => d.Statement) as MaybeConditional[];
  const conditional = statements.find((s) => Array.isArray(s));
  assert.equal(conditional?.[0], 'EnablesEcsExec');
  assert.deepEqual(
    unwrapCondition(conditional!).flatMap((s) => s.Action),
    PLATFORM_ACTIONS.worker,
  );
  for (const service of ['api', 'dispatcher'])
    assert.ok(!allowedBy(roleOfService(service)).some((a) => a.startsWith('ssmmessages:')), `${service} holds ssmmessages`);
});

test("the warm pool: its service runs the pool worker under the worker's role, scaled on its own queue's backlog per task", () => {
  const definition = resources.PoolWorkerTaskDefinition?.Properties as {
    TaskRoleArn: { 'Fn::GetAtt': string };
    ContainerDefinitions: { Command: string[]; Environment: { Name: string; Value: unknown }[] }[];
  };
  assert.equal(definition.TaskRoleArn['Fn::GetAtt'], 'WorkerRole.Arn');
  const container = definition.ContainerDefinitions[0]!;
  assert.ok(container.Command.includes('services/worker/src/sqs-pool-main.ts'));
  assert.deepEqual(container.Environment.find((e) => e.Name === 'AGENT_RUNNER_POOL_QUEUE_URL')?.Value, { Ref: 'PoolQueue' });
  // The dispatcher hands off to the queue the pool takes from; the API accepts pooled jobs only when it is set.
  type Container = { Name: string; Environment: { Name: string; Value: unknown }[] };
  const containers = Object.values(resources)
    .filter((r) => r.Type === 'AWS::ECS::TaskDefinition')
    .map((r) => (r.Properties!.ContainerDefinitions as Container[])[0]!);
  for (const service of ['dispatcher', 'api']) {
    const env = containers.find((c) => c.Name === service)!.Environment;
    assert.deepEqual(env.find((e) => e.Name === 'AGENT_RUNNER_POOL_QUEUE_URL')?.Value, { Ref: 'PoolQueue' }, service);
  }
  const service = resources.PoolService?.Properties as { TaskDefinition: { Ref: string }; DesiredCount: { Ref: string } };
  assert.deepEqual([service.TaskDefinition.Ref, service.DesiredCount.Ref], ['PoolWorkerTaskDefinition', 'PoolMinTasks']);
  const target = resources.PoolScalableTarget?.Properties as { MinCapacity: { Ref: string }; MaxCapacity: { Ref: string } };
  assert.deepEqual([target.MinCapacity.Ref, target.MaxCapacity.Ref], ['PoolMinTasks', 'PoolMaxTasks']);
  const policy = resources.PoolBacklogScaling?.Properties as {
    ScalingTargetId: { Ref: string };
    TargetTrackingScalingPolicyConfiguration: {
      TargetValue: number;
      CustomizedMetricSpecification: {
        Metrics: { Id: string; Expression?: string; MetricStat?: { Metric: { MetricName: string; Dimensions: { Value: unknown }[] } } }[];
      };
    };
  };
  assert.equal(policy.ScalingTargetId.Ref, 'PoolScalableTarget');
  const tracking = policy.TargetTrackingScalingPolicyConfiguration;
  assert.equal(tracking.TargetValue, 1, 'a task per pooled job: a pool worker runs one at a time');
  const metric = (id: string) => tracking.CustomizedMetricSpecification.Metrics.find((m) => m.Id === id)?.MetricStat?.Metric;
  assert.deepEqual(metric('waiting')?.Dimensions[0]?.Value, { 'Fn::GetAtt': 'PoolQueue.QueueName' });
  assert.deepEqual(metric('taken')?.Dimensions[0]?.Value, { 'Fn::GetAtt': 'PoolQueue.QueueName' });
  assert.equal(metric('tasks')?.MetricName, 'RunningTaskCount');
  assert.deepEqual(metric('tasks')?.Dimensions[1]?.Value, { 'Fn::GetAtt': 'PoolService.Name' });
  // RunningTaskCount comes from Container Insights.
  const cluster = resources.Cluster?.Properties as { ClusterSettings: { Name: string; Value: string }[] };
  assert.deepEqual(cluster.ClusterSettings, [{ Name: 'containerInsights', Value: 'enabled' }]);
});
