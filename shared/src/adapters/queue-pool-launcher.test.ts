import assert from 'node:assert/strict';
import { test } from 'vitest';
import { createJobRecord, type Job } from '../domain/job.ts';
import { claimForLaunch, startAttempt, succeedAttempt, type Transition } from '../domain/transitions.ts';
import type { PoolHandOff, PoolQueue, ReceivedHandOff } from '../ports/pool-queue.ts';
import type { LaunchedWorker, WorkerLauncher, WorkerState } from '../ports/worker-launcher.ts';
import { parseHandOff } from './aws/sqs-pool-queue.ts';
import { parseQueuePoolWorkerRef, QueuePoolLauncher, queuePoolWorkerRef } from './queue-pool-launcher.ts';

const T0 = new Date('2026-12-03T07:00:00Z');

function apply(job: Job, t: Transition | null): Job {
  assert.ok(t, 'a legal transition');
  return { ...job, ...t.changes, version: job.version + 1 } as Job;
}

function claimed(jobId: string): Job {
  const job = createJobRecord(
    jobId,
    {
      jobType: 'echo',
      payload: { message: 'x' },
      priority: 'normal',
      tenant: 't',
      orderingKey: null,
      isolation: 'pooled',
      maxAttempts: 3,
      timeoutSeconds: 60,
    },
    T0,
    { payload: { message: 'x' }, payloadRef: null },
  );
  return apply(job, claimForLaunch(job, T0, 30));
}

class FakeQueue implements PoolQueue {
  readonly name = 'ar-pool';
  readonly sent: PoolHandOff[] = [];
  async send(handOff: PoolHandOff): Promise<void> {
    this.sent.push(handOff);
  }
  async receive(): Promise<ReceivedHandOff | null> {
    return null;
  }
  async extend(): Promise<void> {}
  async delete(): Promise<void> {}
}

class FakeTasks implements WorkerLauncher {
  readonly states = new Map<string, WorkerState>();
  readonly stopped: string[] = [];
  asked = 0;
  async launch(): Promise<LaunchedWorker> {
    throw new Error('not used');
  }
  async stop(ref: string): Promise<void> {
    this.stopped.push(ref);
  }
  async inspect(ref: string): Promise<WorkerState> {
    return this.states.get(ref) ?? { state: 'unknown' };
  }
  async inspectAll(refs: readonly string[]): Promise<Map<string, WorkerState>> {
    this.asked++;
    return new Map(refs.map((r) => [r, this.states.get(r) ?? { state: 'unknown' }]));
  }
}

function setUp() {
  const jobs = new Map<string, Job>();
  const queue = new FakeQueue();
  const tasks = new FakeTasks();
  const launcher = new QueuePoolLauncher(queue, { get: async (id) => jobs.get(id) ?? null }, tasks);
  return { jobs, queue, tasks, launcher };
}

test('a hand-off body parses back; one that names no attempt is not a hand-off', () => {
  assert.deepEqual(parseHandOff('{"jobId":"01KBJ0000000000000000000AB","attempt":2,"heartbeatSeconds":2}'), {
    jobId: '01KBJ0000000000000000000AB',
    attempt: 2,
    heartbeatSeconds: 2,
  });
  assert.deepEqual(parseHandOff('{"jobId":"01KBJ0000000000000000000AB","attempt":1,"heartbeatSeconds":-1}'), {
    jobId: '01KBJ0000000000000000000AB',
    attempt: 1,
  });
  for (const body of ['', 'nope', '{"jobId":"x"}', '{"jobId":"x","attempt":0}', '{"attempt":1}'])
    assert.equal(parseHandOff(body), null, body);
});

test('a ref names the queue, the job and the attempt, and parses back', () => {
  const ref = queuePoolWorkerRef('ar-pool', '01KBJ0000000000000000000AB', 2);
  assert.equal(ref, 'sqspool:ar-pool:01KBJ0000000000000000000AB:2');
  assert.deepEqual(parseQueuePoolWorkerRef(ref), { queue: 'ar-pool', jobId: '01KBJ0000000000000000000AB', attempt: 2 });
  assert.equal(parseQueuePoolWorkerRef('pool:12:01KBJ0000000000000000000AB:2'), null);
  assert.equal(parseQueuePoolWorkerRef('arn:aws:ecs:eu-west-1:1:task/c/abc'), null);
});

test('a launch sends { jobId, attempt } to the pool queue; the attempt waits until a worker starts it', async () => {
  const { jobs, queue, launcher } = setUp();
  const job = claimed('01KBJ0000000000000000000AB');
  jobs.set(job.jobId, job);
  const { workerRef } = await launcher.launch({
    jobId: job.jobId,
    attempt: 1,
    jobType: 'echo',
    isolation: 'pooled',
    env: { AGENT_RUNNER_HEARTBEAT_SECONDS: '2' },
  });
  // The heartbeat the reaper judges by goes with it, as a one-shot launch's env carries it.
  assert.deepEqual(queue.sent, [{ jobId: job.jobId, attempt: 1, heartbeatSeconds: 2 }]);
  assert.deepEqual(await launcher.inspect(workerRef), { state: 'waiting' });
});

test('a started attempt is its recorded task: running, or stopped as ECS says; without a task, running', async () => {
  const { jobs, tasks, launcher } = setUp();
  const a = claimed('01KBJ0000000000000000000AC');
  const b = claimed('01KBJ0000000000000000000AD');
  jobs.set(a.jobId, apply(a, startAttempt(a, 1, T0, 'arn:aws:ecs:eu-west-1:1:task/c/t1')));
  jobs.set(b.jobId, apply(b, startAttempt(b, 1, T0)));
  const refA = queuePoolWorkerRef('ar-pool', a.jobId, 1);
  const refB = queuePoolWorkerRef('ar-pool', b.jobId, 1);
  tasks.states.set('arn:aws:ecs:eu-west-1:1:task/c/t1', { state: 'running' });
  assert.deepEqual(await launcher.inspect(refA), { state: 'running' });
  assert.deepEqual(await launcher.inspect(refB), { state: 'running' });
  tasks.states.set('arn:aws:ecs:eu-west-1:1:task/c/t1', { state: 'stopped', exitCode: 137, reason: 'OutOfMemoryError' });
  tasks.asked = 0;
  const states = await launcher.inspectAll([refA, refB, refA]);
  assert.deepEqual(states.get(refA), { state: 'stopped', exitCode: 137, reason: 'OutOfMemoryError' });
  assert.equal(tasks.asked, 1, 'every recorded task in one ask');
  // stop: the task that runs the attempt; nothing for an attempt in no known task.
  await launcher.stop(refA, 'heartbeat went silent');
  await launcher.stop(refB, 'heartbeat went silent');
  assert.deepEqual(tasks.stopped, ['arn:aws:ecs:eu-west-1:1:task/c/t1']);
});

test('an attempt that ended, or was superseded, is stopped; a job that does not exist is unknown', async () => {
  const { jobs, tasks, launcher } = setUp();
  const a = claimed('01KBJ0000000000000000000AE');
  const running = apply(a, startAttempt(a, 1, T0, 'arn:aws:ecs:eu-west-1:1:task/c/t2'));
  jobs.set(a.jobId, apply(running, succeedAttempt(running, 1, { result: null, resultRef: null }, T0)));
  const ended = await launcher.inspect(queuePoolWorkerRef('ar-pool', a.jobId, 1));
  assert.equal(ended.state, 'stopped');
  assert.equal((await launcher.inspect(queuePoolWorkerRef('ar-pool', a.jobId, 2))).state, 'stopped');
  assert.deepEqual(await launcher.inspect(queuePoolWorkerRef('ar-pool', '01KBJ0000000000000000000ZZ', 1)), { state: 'unknown' });
  // The task that ran an ended attempt may run another job now: it is never stopped for this one.
  await launcher.stop(queuePoolWorkerRef('ar-pool', a.jobId, 1), 'job cancelled');
  assert.deepEqual(tasks.stopped, []);
});
