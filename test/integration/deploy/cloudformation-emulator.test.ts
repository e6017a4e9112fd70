import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { DescribeClustersCommand, DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { parse } from 'yaml';
import { type AwsClients, createAwsClients } from '@agent-runner/shared/adapters/aws/aws-clients.ts';
import { provisionAws } from '@agent-runner/shared/adapters/aws/provision.ts';
import { skipUnlessAws } from '../../support/aws-test-env.ts';
import { motoEndpoint } from '../../support/moto.ts';

// infra/agent-runner.cfn.yaml deployed into the emulator's CloudFormation, beside what `provision`
// creates (which every AWS suite runs on): the queues and tables must come out the same. moto creates
// every resource type this template uses; it does not run the ECS services or check IAM, so the roles
// are checked at template level (cloudformation-template.test.ts). Nor does its CloudFormation apply a
// table's TimeToLiveSpecification: TTL is compared between the template's text and provision's tables.

const TEMPLATE = readFileSync(new URL('../../../infra/agent-runner.cfn.yaml', import.meta.url), 'utf8');
const REGION = 'us-east-1';

/** One CloudFormation query-API call (no CloudFormation client among the dependencies; moto checks no signature). */
async function cloudFormation(endpoint: string, action: string, params: Record<string, string>): Promise<string> {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `AWS4-HMAC-SHA256 Credential=test/20260101/${REGION}/cloudformation/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: new URLSearchParams({ Action: action, Version: '2010-05-15', ...params }),
  });
  const body = await res.text();
  assert.equal(res.status, 200, `${action}: ${body}`);
  return body;
}

/** The template's TimeToLiveSpecification of the table named `${Prefix}-<table>`. */
function templateTtl(table: string): string | null {
  const sub = { tag: '!Sub', resolve: (value: string) => ({ 'Fn::Sub': value }) };
  const others = ['!Ref', '!GetAtt', '!Join'].map((name) => ({ tag: name, resolve: (value: string) => value }));
  const { Resources } = parse(TEMPLATE, { customTags: [sub, ...others], logLevel: 'error' }) as {
    Resources: Record<
      string,
      {
        Type: string;
        Properties?: { TableName?: { 'Fn::Sub'?: string }; TimeToLiveSpecification?: { AttributeName: string; Enabled: boolean } };
      }
    >;
  };
  const wanted = `\${Prefix}-${table}`;
  const resource = Object.values(Resources).find(
    (r) => r.Type === 'AWS::DynamoDB::Table' && r.Properties?.TableName?.['Fn::Sub'] === wanted,
  );
  assert.ok(resource, `the template has a table ${wanted}`);
  const ttl = resource.Properties?.TimeToLiveSpecification;
  return ttl?.Enabled ? ttl.AttributeName : null;
}

const tag = (xml: string, name: string) => [...xml.matchAll(new RegExp(`<${name}>([^<]*)</${name}>`, 'g'))].map((m) => m[1]!);

describe('the CloudFormation template deployed into the emulator', { skip: Boolean(skipUnlessAws()) }, () => {
  const suffix = randomBytes(4).toString('hex');
  const stackPrefix = `cfn-${suffix}`;
  const provisionPrefix = `prov-${suffix}`;
  let clients: AwsClients;
  let outputs: Record<string, string>;

  beforeAll(async () => {
    const endpoint = await motoEndpoint();
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });
    clients = createAwsClients(REGION, endpoint);
    const parameters = { Prefix: stackPrefix, Image: 'agent-runner:test', VpcId: 'vpc-12345678', SubnetIds: 'subnet-12345678' };
    const params: Record<string, string> = { StackName: stackPrefix, TemplateBody: TEMPLATE, 'Capabilities.member.1': 'CAPABILITY_IAM' };
    Object.entries(parameters).forEach(([key, value], i) => {
      params[`Parameters.member.${i + 1}.ParameterKey`] = key;
      params[`Parameters.member.${i + 1}.ParameterValue`] = value;
    });
    await cloudFormation(endpoint, 'CreateStack', params);
    for (let waited = 0; ; waited += 200) {
      const described = await cloudFormation(endpoint, 'DescribeStacks', { StackName: stackPrefix });
      const status = tag(described, 'StackStatus')[0];
      if (status === 'CREATE_COMPLETE') {
        const keys = tag(described, 'OutputKey');
        const values = tag(described, 'OutputValue');
        outputs = Object.fromEntries(keys.map((key, i) => [key, values[i]!]));
        break;
      }
      assert.ok(status === 'CREATE_IN_PROGRESS' && waited < 15_000, `stack ${status}: ${described}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await provisionAws({ region: REGION, endpoint, prefix: provisionPrefix });
  }, 60_000);

  afterAll(() => clients?.destroy());

  /** A table's shape, names made prefix-free so the stack's and provision's compare. */
  async function tableShape(name: string) {
    const { Table } = await clients.dynamo.send(new DescribeTableCommand({ TableName: name }));
    const ttl = await clients.dynamo.send(new DescribeTimeToLiveCommand({ TableName: name }));
    const byName = <T extends { AttributeName?: string | undefined }>(list: T[] = []) =>
      [...list].sort((a, b) => (a.AttributeName ?? '').localeCompare(b.AttributeName ?? ''));
    return {
      keys: Table?.KeySchema,
      attributes: byName(Table?.AttributeDefinitions),
      indexes: (Table?.GlobalSecondaryIndexes ?? [])
        .map((i) => ({ name: i.IndexName, keys: i.KeySchema, projection: i.Projection }))
        .sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '')),
      ttl: ttl.TimeToLiveDescription?.TimeToLiveStatus === 'ENABLED' ? ttl.TimeToLiveDescription.AttributeName : null,
    };
  }

  for (const table of ['jobs', 'leases', 'job-events', 'api-keys', 'tenants', 'webhook-endpoints', 'webhook-deliveries'])
    test(`table ${table}: the same keys, indexes and TTL as provision creates`, async () => {
      const { ttl: _notApplied, ...fromStack } = await tableShape(`${stackPrefix}-${table}`);
      assert.ok(fromStack.keys && fromStack.keys.length > 0, 'the stack created the table');
      const { ttl, ...fromProvision } = await tableShape(`${provisionPrefix}-${table}`);
      assert.deepEqual(fromStack, fromProvision);
      assert.equal(templateTtl(table), ttl, 'TTL attribute');
    });

  /** What the code relies on of a queue: FIFO or not, and its dead-letter queue after how many receives. */
  async function queueShape(prefix: string, name: string) {
    const fifo = name.endsWith('.fifo');
    const { QueueUrl } = await clients.sqs.send(new GetQueueUrlCommand({ QueueName: `${prefix}-${name}` }));
    const { Attributes = {} } = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }));
    const redrive = JSON.parse(Attributes.RedrivePolicy ?? 'null') as {
      deadLetterTargetArn: string;
      maxReceiveCount: number | string;
    } | null;
    return {
      fifo: Attributes.FifoQueue === 'true',
      deadLetterQueue: redrive?.deadLetterTargetArn.split(':').pop()?.replace(prefix, '<prefix>'),
      maxReceiveCount: redrive ? Number(redrive.maxReceiveCount) : null,
      fifoExpected: fifo,
    };
  }

  for (const queue of ['critical', 'high', 'normal', 'low', 'ordered.fifo', 'webhooks'])
    test(`queue ${queue}: the same kind and dead-letter queue as provision creates`, async () => {
      const fromStack = await queueShape(stackPrefix, queue);
      assert.equal(fromStack.fifo, fromStack.fifoExpected);
      assert.equal(fromStack.deadLetterQueue, `<prefix>-${queue.endsWith('.fifo') ? queue.replace('.fifo', '-dlq.fifo') : `${queue}-dlq`}`);
      assert.deepEqual(fromStack, await queueShape(provisionPrefix, queue));
    });

  test("the bucket, the cluster and the worker's task definition pointing at the stack's resources", async () => {
    await clients.s3.send(new HeadBucketCommand({ Bucket: outputs.Bucket }));
    const { clusters } = await clients.ecs.send(new DescribeClustersCommand({ clusters: [outputs.Cluster!] }));
    assert.equal(clusters?.[0]?.status, 'ACTIVE');
    const { taskDefinition } = await clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: `${stackPrefix}-worker` }));
    const env = Object.fromEntries((taskDefinition?.containerDefinitions?.[0]?.environment ?? []).map((e) => [e.name, e.value]));
    assert.equal(env.AGENT_RUNNER_TABLE, `${stackPrefix}-jobs`);
    assert.equal(env.AGENT_RUNNER_BUCKET, outputs.Bucket);
    assert.equal(env.AGENT_RUNNER_QUEUE_URL, outputs.NormalQueueUrl);
    assert.deepEqual(taskDefinition?.containerDefinitions?.[0]?.command, ['worker']);
  });
});
