import { ApplicationAutoScalingClient, RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient, DescribeAlarmsCommand, DisableAlarmActionsCommand, EnableAlarmActionsCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DescribeServicesCommand, ECSClient, ListTasksCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { TENANTS_TABLE } from '../tenants-table.ts';
import { describeStack, type StackDescription, stackResourceIds, type StackTarget } from './cloudformation-stack.ts';

/** Pausing would stop the dispatcher under running jobs, and the caller did not say --force. */
export class JobsRunningError extends Error {}

/** The two services `pause` scales, with the stack parameters that size them when resumed. */
const SERVICES = [
  // The dispatcher first: it stops launching before the API stops accepting.
  { output: 'DispatcherService', min: 'DispatcherMinTasks', max: 'DispatcherMaxTasks', defaults: [1, 2] },
  { output: 'ApiService', min: 'ApiMinTasks', max: 'ApiMaxTasks', defaults: [1, 4] },
] as const;

interface Clients {
  ecs: ECSClient;
  scaling: ApplicationAutoScalingClient;
  cloudwatch: CloudWatchClient;
  sqs: SQSClient;
  dynamo: DynamoDBClient;
  destroy(): void;
}

function clientsFor(target: StackTarget): Clients {
  const config = { region: target.region, ...(target.endpoint ? { endpoint: target.endpoint } : {}) };
  const made = {
    ecs: new ECSClient(config),
    scaling: new ApplicationAutoScalingClient(config),
    cloudwatch: new CloudWatchClient(config),
    sqs: new SQSClient(config),
    dynamo: new DynamoDBClient(config),
  };
  return {
    ...made,
    destroy: () => {
      for (const client of Object.values(made)) client.destroy();
    },
  };
}

async function stackOrThrow(target: StackTarget): Promise<StackDescription> {
  const stack = await describeStack(target);
  if (!stack) throw new Error(`no stack named ${target.stack}`);
  for (const output of ['Cluster', 'ApiService', 'DispatcherService', 'WorkerTaskFamily'])
    if (!stack.outputs[output]) throw new Error(`stack ${target.stack} has no output ${output}: deploy the current template`);
  return stack;
}

/** Worker tasks (one per running job attempt) that ECS has not stopped. */
async function runningWorkers(ecs: ECSClient, stack: StackDescription): Promise<number> {
  let count = 0;
  for (let token: string | undefined, first = true; first || token; first = false) {
    const page = await ecs.send(
      new ListTasksCommand({
        cluster: stack.outputs.Cluster,
        family: stack.outputs.WorkerTaskFamily,
        desiredStatus: 'RUNNING',
        nextToken: token,
      }),
    );
    count += page.taskArns?.length ?? 0;
    token = page.nextToken;
  }
  return count;
}

/**
 * Sets a service's scalable target to [min, max] and its desired count to `desired`. Auto Scaling keeps
 * a service within its target's range, so a desired count of 0 alone would be scaled back up.
 */
async function scaleService(clients: Clients, cluster: string, service: string, min: number, max: number, desired: number): Promise<void> {
  await clients.scaling.send(
    new RegisterScalableTargetCommand({
      ServiceNamespace: 'ecs',
      ScalableDimension: 'ecs:service:DesiredCount',
      ResourceId: `service/${cluster}/${service}`,
      MinCapacity: min,
      MaxCapacity: max,
    }),
  );
  await clients.ecs.send(new UpdateServiceCommand({ cluster, service, desiredCount: desired }));
}

export interface PauseResult {
  services: { name: string; desired: number }[];
  /** Worker tasks still running (only with force; they finish their attempts on their own). */
  runningWorkers: number;
}

/**
 * Scales the dispatcher and the API to zero, and turns off the heartbeat alarm's actions (no dispatcher
 * is the point). Refuses while worker tasks run, unless `force`: with no dispatcher, nobody would notice
 * a lost worker or launch a retry until `resume`.
 */
export async function pauseStack(target: StackTarget, options: { force: boolean }): Promise<PauseResult> {
  const stack = await stackOrThrow(target);
  const clients = clientsFor(target);
  try {
    const running = await runningWorkers(clients.ecs, stack);
    if (running > 0 && !options.force)
      throw new JobsRunningError(`${running} worker task(s) are running jobs; wait for them, or pause with --force`);
    for (const service of SERVICES) await scaleService(clients, stack.outputs.Cluster!, stack.outputs[service.output]!, 0, 0, 0);
    if (stack.outputs.HeartbeatAlarm)
      await clients.cloudwatch.send(new DisableAlarmActionsCommand({ AlarmNames: [stack.outputs.HeartbeatAlarm] }));
    return { services: SERVICES.map((s) => ({ name: stack.outputs[s.output]!, desired: 0 })), runningWorkers: running };
  } finally {
    clients.destroy();
  }
}

/** Back to the sizes the stack's parameters give (the minimum running, auto scaling up to the maximum). */
export async function resumeStack(target: StackTarget): Promise<{ services: { name: string; desired: number }[] }> {
  const stack = await stackOrThrow(target);
  const clients = clientsFor(target);
  try {
    const services = [];
    for (const service of [...SERVICES].reverse()) {
      const min = Number(stack.parameters[service.min] ?? service.defaults[0]);
      const max = Number(stack.parameters[service.max] ?? service.defaults[1]);
      await scaleService(clients, stack.outputs.Cluster!, stack.outputs[service.output]!, min, max, min);
      services.push({ name: stack.outputs[service.output]!, desired: min });
    }
    if (stack.outputs.HeartbeatAlarm)
      await clients.cloudwatch.send(new EnableAlarmActionsCommand({ AlarmNames: [stack.outputs.HeartbeatAlarm] }));
    return { services };
  } finally {
    clients.destroy();
  }
}

export interface StackStatus {
  stack: string;
  stackStatus: string;
  serviceUrl: string | null;
  services: { name: string; desired: number; running: number; pending: number }[];
  runningWorkers: number;
  /** Per queue (critical … ordered, and their dead-letter queues): messages waiting and in flight. */
  queues: { name: string; waiting: number; inFlight: number }[];
  /** Recorded spend today (UTC) over every tenant, from the tenants table: what the budgets count. */
  spendTodayUsd: number;
  /** The stack's alarms now in ALARM. */
  alarms: string[];
}

export async function stackStatus(target: StackTarget, now: Date = new Date()): Promise<StackStatus> {
  const stack = await stackOrThrow(target);
  const clients = clientsFor(target);
  try {
    const cluster = stack.outputs.Cluster!;
    const names = SERVICES.map((s) => stack.outputs[s.output]!).reverse();
    const { services = [] } = await clients.ecs.send(new DescribeServicesCommand({ cluster, services: names }));
    const queues = [];
    for (const [output, url] of Object.entries(stack.outputs).filter(([key]) => /(Queue|Dlq)Url$/.test(key))) {
      const { Attributes = {} } = await clients.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      queues.push({
        name: output.replace(/Url$/, ''),
        waiting: Number(Attributes.ApproximateNumberOfMessages ?? 0),
        inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
      });
    }
    const alarmNames = await stackResourceIds(target, 'AWS::CloudWatch::Alarm');
    const { MetricAlarms = [] } =
      alarmNames.length > 0 ? await clients.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: alarmNames })) : {};
    return {
      stack: target.stack,
      stackStatus: stack.status,
      serviceUrl: stack.outputs.ServiceUrl ?? null,
      services: names.map((name) => {
        const s = services.find((x) => x.serviceName === name);
        return { name, desired: s?.desiredCount ?? 0, running: s?.runningCount ?? 0, pending: s?.pendingCount ?? 0 };
      }),
      runningWorkers: await runningWorkers(clients.ecs, stack),
      queues,
      spendTodayUsd: stack.outputs.TenantsTable ? await spendToday(clients.dynamo, stack.outputs.TenantsTable, now) : 0,
      alarms: MetricAlarms.filter((a) => a.StateValue === 'ALARM').map((a) => a.AlarmName!),
    };
  } finally {
    clients.destroy();
  }
}

/** Sums every tenant's `spend#<today>` item: one pass over the tenants table (small: a few items per tenant). */
async function spendToday(dynamo: DynamoDBClient, table: string, now: Date): Promise<number> {
  const entry = TENANTS_TABLE.spendEntry(now.toISOString().slice(0, 10));
  let cents = 0;
  for (let key: Record<string, never> | undefined, first = true; first || key; first = false) {
    const page = await dynamo.send(
      new ScanCommand({
        TableName: table,
        FilterExpression: '#entry = :entry',
        ExpressionAttributeNames: { '#entry': TENANTS_TABLE.sortKey },
        ExpressionAttributeValues: { ':entry': { S: entry } },
        ExclusiveStartKey: key,
      }),
    );
    for (const item of page.Items ?? []) cents += Math.round(Number(item.usd?.N ?? 0) * 1_000_000);
    key = page.LastEvaluatedKey as Record<string, never> | undefined;
  }
  return cents / 1_000_000;
}

/** The status as lines for a terminal. */
export function formatStackStatus(s: StackStatus): string {
  const lines = [
    `stack ${s.stack}: ${s.stackStatus}${s.serviceUrl ? `  ${s.serviceUrl}` : ''}`,
    '',
    'service              desired  running  pending',
  ];
  for (const svc of s.services)
    lines.push(
      `${svc.name.padEnd(20)} ${String(svc.desired).padStart(7)}  ${String(svc.running).padStart(7)}  ${String(svc.pending).padStart(7)}`,
    );
  lines.push(`worker tasks running: ${s.runningWorkers}`, '', 'queue              waiting  in flight');
  for (const q of s.queues) lines.push(`${q.name.padEnd(18)} ${String(q.waiting).padStart(7)}  ${String(q.inFlight).padStart(9)}`);
  lines.push(
    '',
    `spend today (UTC): ${s.spendTodayUsd.toFixed(2)} USD`,
    `alarms firing: ${s.alarms.length > 0 ? s.alarms.join(', ') : 'none'}`,
  );
  return lines.join('\n');
}
