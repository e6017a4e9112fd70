import {
  type Capability,
  CloudFormationClient,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  ListStackResourcesCommand,
  type Parameter,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteBucketCommand, DeleteObjectsCommand, ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { loadStackTemplate } from './stack-template.ts';

export interface StackTarget {
  region: string;
  /** An emulator's endpoint, or null for AWS. */
  endpoint: string | null;
  stack: string;
  /** How often to ask CloudFormation how it is going (AWS: seconds; an emulator: much less). */
  pollMs?: number;
  /** Give up waiting after this long (the stack carries on; `status` or the console show it). */
  timeoutMs?: number;
  /** Progress lines for a person (stack status changes, failed resources). */
  progress?: (line: string) => void;
}

/** What a stack is: its status, outputs and parameters as CloudFormation reports them. */
export interface StackDescription {
  stackId: string;
  status: string;
  outputs: Record<string, string>;
  parameters: Record<string, string>;
}

const clientConfig = (t: StackTarget) => ({ region: t.region, ...(t.endpoint ? { endpoint: t.endpoint } : {}) });

/** The stack, or null when there is none by that name (CloudFormation answers a ValidationError). */
export async function describeStack(target: StackTarget, cfn?: CloudFormationClient): Promise<StackDescription | null> {
  const client = cfn ?? new CloudFormationClient(clientConfig(target));
  try {
    const { Stacks = [] } = await client.send(new DescribeStacksCommand({ StackName: target.stack }));
    const stack = Stacks[0];
    return stack ? describe(stack) : null;
  } catch (error) {
    if (isMissingStack(error)) return null;
    throw error;
  } finally {
    if (!cfn) client.destroy();
  }
}

function describe(stack: Stack): StackDescription {
  return {
    stackId: stack.StackId!,
    status: stack.StackStatus!,
    outputs: Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey!, o.OutputValue ?? ''])),
    parameters: Object.fromEntries((stack.Parameters ?? []).map((p) => [p.ParameterKey!, p.ParameterValue ?? ''])),
  };
}

const isMissingStack = (error: unknown) =>
  (error as { name?: string }).name === 'ValidationError' && /does not exist/i.test((error as Error).message);

/** The physical ids (names) of the stack's resources of one type, e.g. its alarms' names. */
export async function stackResourceIds(target: StackTarget, type: string): Promise<string[]> {
  const cfn = new CloudFormationClient(clientConfig(target));
  try {
    const ids: string[] = [];
    for (let token: string | undefined, first = true; first || token; first = false) {
      const page = await cfn.send(new ListStackResourcesCommand({ StackName: target.stack, NextToken: token }));
      for (const r of page.StackResourceSummaries ?? [])
        if (r.ResourceType === type && r.PhysicalResourceId) ids.push(r.PhysicalResourceId);
      token = page.NextToken;
    }
    return ids;
  } finally {
    cfn.destroy();
  }
}

export interface DeployResult extends StackDescription {
  /** False when the template and parameters were what the stack already had. */
  changed: boolean;
}

/**
 * Creates or updates the stack from infra/agent-runner.cfn.yaml through a change set, and waits for it.
 * On update, a parameter not given keeps its previous value (UsePreviousValue), so `--image` alone
 * rolls out a new image. A new stack's Prefix defaults to `defaultPrefix` (the stack's name). Throws when CloudFormation fails or rolls back, naming the failed resources.
 */
export async function deployStack(
  target: StackTarget,
  given: Record<string, string>,
  options: { defaultPrefix?: string } = {},
): Promise<DeployResult> {
  const cfn = new CloudFormationClient(clientConfig(target));
  const progress = target.progress ?? (() => {});
  try {
    const existing = await describeStack(target, cfn);
    // A stack whose first change set was never executed (REVIEW_IN_PROGRESS) is still created by one.
    const creating = !existing || existing.status === 'REVIEW_IN_PROGRESS';
    if (existing && !creating && /_IN_PROGRESS$/.test(existing.status))
      throw new Error(`stack ${target.stack} is ${existing.status}; wait for it to finish`);
    if (existing?.status === 'ROLLBACK_COMPLETE')
      throw new Error(`stack ${target.stack} is ROLLBACK_COMPLETE (its creation failed): destroy it, then deploy again`);
    const { text, declared } = templateParameters();
    // CreateChangeSet takes at most 51,200 bytes inline; a larger template would need TemplateURL (S3).
    if (Buffer.byteLength(text) > 51_200)
      throw new Error(`the template is ${Buffer.byteLength(text)} bytes, over CloudFormation's 51,200 for an inline template`);
    // A new stack's resources are named after it unless a Prefix is given: two stacks never collide.
    const parameters =
      creating && !('Prefix' in given) && options.defaultPrefix && /^[a-z0-9-]{1,30}$/.test(options.defaultPrefix)
        ? { ...given, Prefix: options.defaultPrefix }
        : given;
    const unknown = Object.keys(parameters).filter((key) => !declared.includes(key));
    if (unknown.length > 0) throw new Error(`the template has no parameter ${unknown.join(', ')} (it has ${declared.join(', ')})`);
    const list: Parameter[] = Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue }));
    if (!creating)
      for (const key of declared)
        if (!(key in parameters) && key in existing.parameters) list.push({ ParameterKey: key, UsePreviousValue: true });

    const changeSetName = `agent-runner-${Date.now()}`;
    const { Id: changeSetId } = await cfn.send(
      new CreateChangeSetCommand({
        StackName: target.stack,
        ChangeSetName: changeSetName,
        ChangeSetType: creating ? 'CREATE' : 'UPDATE',
        TemplateBody: text,
        Parameters: list,
        Capabilities: ['CAPABILITY_IAM' as Capability],
      }),
    );
    progress(`change set ${changeSetName} (${creating ? 'create' : 'update'}) created; waiting for CloudFormation to compute it`);
    const changes = await waitFor(target, async () => {
      const set = await cfn.send(new DescribeChangeSetCommand({ ChangeSetName: changeSetId, StackName: target.stack }));
      if (set.Status === 'CREATE_COMPLETE') return set.Changes?.length ?? 0;
      // CloudFormation fails a change set that would change nothing, with this reason.
      if (set.Status === 'FAILED') {
        if (/didn't contain changes|no updates/i.test(set.StatusReason ?? '')) return null;
        throw new Error(`change set failed: ${set.StatusReason}`);
      }
      return undefined;
    });
    if (changes === null) {
      await cfn.send(new DeleteChangeSetCommand({ ChangeSetName: changeSetId, StackName: target.stack }));
      progress('no changes: the stack already matches the template and parameters');
      const now = (await describeStack(target, cfn))!;
      return { ...now, changed: false };
    }
    progress(`${changes} resource change(s); executing`);
    await cfn.send(new ExecuteChangeSetCommand({ ChangeSetName: changeSetId, StackName: target.stack }));
    const final = await waitForStack(target, cfn, creating ? 'CREATE_COMPLETE' : 'UPDATE_COMPLETE');
    return { ...final, changed: true };
  } finally {
    cfn.destroy();
  }
}

/** The template's text and the names of its parameters. */
function templateParameters(): { text: string; declared: string[] } {
  const { text } = loadStackTemplate();
  const section = /^Parameters:\n([\s\S]*?)^\S/m.exec(text)?.[1] ?? '';
  return { text, declared: [...section.matchAll(/^ {2}(\w+):$/gm)].map((m) => m[1]!) };
}

/** Waits until the stack reaches `wanted`; a rollback or failure throws with the resources that failed. */
async function waitForStack(target: StackTarget, cfn: CloudFormationClient, wanted: string): Promise<StackDescription> {
  const progress = target.progress ?? (() => {});
  let last = '';
  return waitFor(target, async () => {
    const now = await describeStack(target, cfn);
    if (!now) {
      if (wanted === 'DELETE_COMPLETE') return { stackId: target.stack, status: wanted, outputs: {}, parameters: {} };
      throw new Error(`stack ${target.stack} disappeared`);
    }
    if (now.status !== last) {
      last = now.status;
      progress(`stack ${target.stack}: ${last}`);
    }
    if (now.status === wanted) return now;
    if (/FAILED$|ROLLBACK_COMPLETE$/.test(now.status)) throw new Error(`stack ${now.status}: ${await failureReasons(cfn, now.stackId)}`);
    return undefined;
  });
}

/** The resources that failed in the stack's latest operation, with CloudFormation's reasons. */
async function failureReasons(cfn: CloudFormationClient, stackId: string): Promise<string> {
  const { StackEvents = [] } = await cfn.send(new DescribeStackEventsCommand({ StackName: stackId }));
  const failed = StackEvents.filter((e) => /FAILED$/.test(e.ResourceStatus ?? '') && e.ResourceStatusReason)
    .slice(0, 5)
    .map((e) => `${e.LogicalResourceId} ${e.ResourceStatus}: ${e.ResourceStatusReason}`);
  return failed.length > 0 ? failed.join('; ') : 'see the stack events';
}

/** Asks `check` every pollMs until it answers something. */
async function waitFor<T>(target: StackTarget, check: () => Promise<T | undefined>): Promise<T> {
  const timeoutMs = target.timeoutMs ?? 60 * 60_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await check();
    if (answer !== undefined) return answer;
    if (Date.now() > deadline) throw new Error(`still waiting after ${Math.round(timeoutMs / 1000)} s`);
    await new Promise((r) => setTimeout(r, target.pollMs ?? 5000));
  }
}

export interface DestroyResult {
  /** Tables and bucket the stack kept (DeletionPolicy Retain), by physical name. */
  retained: { tables: string[]; bucket: string | null };
  /** True when they were deleted too (`deleteData`). */
  dataDeleted: boolean;
}

/**
 * Deletes the stack and waits. Its tables and bucket are retained by the template; with `deleteData`
 * they are deleted afterwards: every table, and the bucket after every object version in it.
 */
export async function destroyStack(target: StackTarget, options: { deleteData: boolean }): Promise<DestroyResult> {
  const cfn = new CloudFormationClient(clientConfig(target));
  const progress = target.progress ?? (() => {});
  try {
    const existing = await describeStack(target, cfn);
    if (!existing) throw new Error(`no stack named ${target.stack}`);
    const retained = { tables: [] as string[], bucket: null as string | null };
    for (let token: string | undefined, first = true; first || token; first = false) {
      const page = await cfn.send(new ListStackResourcesCommand({ StackName: existing.stackId, NextToken: token }));
      for (const r of page.StackResourceSummaries ?? []) {
        if (r.ResourceType === 'AWS::DynamoDB::Table' && r.PhysicalResourceId) retained.tables.push(r.PhysicalResourceId);
        if (r.ResourceType === 'AWS::S3::Bucket' && r.PhysicalResourceId) retained.bucket = r.PhysicalResourceId;
      }
      token = page.NextToken;
    }
    await cfn.send(new DeleteStackCommand({ StackName: existing.stackId }));
    progress(`deleting stack ${target.stack}`);
    // By id: once deleted, a stack is no longer found by its name.
    await waitForStack({ ...target, stack: existing.stackId }, cfn, 'DELETE_COMPLETE');
    if (!options.deleteData) return { retained, dataDeleted: false };
    await deleteData(target, retained, progress);
    return { retained, dataDeleted: true };
  } finally {
    cfn.destroy();
  }
}

async function deleteData(target: StackTarget, data: DestroyResult['retained'], progress: (line: string) => void): Promise<void> {
  const dynamo = new DynamoDBClient(clientConfig(target));
  const s3 = new S3Client({ ...clientConfig(target), forcePathStyle: Boolean(target.endpoint) });
  try {
    for (const table of data.tables) {
      await dynamo.send(new DeleteTableCommand({ TableName: table }));
      progress(`deleted table ${table}`);
    }
    if (data.bucket) {
      for (;;) {
        const page = await s3.send(new ListObjectVersionsCommand({ Bucket: data.bucket, MaxKeys: 1000 }));
        const objects = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map((v) => ({ Key: v.Key!, VersionId: v.VersionId }));
        if (objects.length === 0) break;
        await s3.send(new DeleteObjectsCommand({ Bucket: data.bucket, Delete: { Objects: objects, Quiet: true } }));
      }
      await s3.send(new DeleteBucketCommand({ Bucket: data.bucket }));
      progress(`deleted bucket ${data.bucket}`);
    }
  } finally {
    dynamo.destroy();
    s3.destroy();
  }
}
