/**
 * The PipelineStore port and the recording/advancing built on it, on both backends: one record
 * per pipeline whatever its size, conditional writes, and step jobs created from it idempotently.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { ConflictError, NotFoundError } from '@agent-runner/shared/domain/errors.ts';
import { createUlidSource, systemClock } from '@agent-runner/shared/domain/ids.ts';
import type { Pipeline } from '@agent-runner/shared/domain/pipeline.ts';
import { advancePipeline, readStepJobs } from '@agent-runner/shared/pipelines/advance-pipeline.ts';
import type { RecordPipelineDeps } from '@agent-runner/shared/pipelines/pipeline-deps.ts';
import { endPipeline } from '@agent-runner/shared/pipelines/end-pipeline.ts';
import { recordPipeline, type NewPipelineStep } from '@agent-runner/shared/pipelines/record-pipeline.ts';
import { backendsUnderTest, openBackend, type OpenedBackend } from '../support/backends.ts';

const newId = createUlidSource();

function echoStep(name: string, needs: string[], payload: unknown = { message: name }): NewPipelineStep {
  return {
    name,
    needs,
    continueOnFailure: false,
    job: { jobType: 'echo', payload: payload as never, priority: 'normal', orderingKey: null, maxAttempts: 1, timeoutSeconds: 60 },
  };
}

function bareRecord(steps: { name: string; needs: string[] }[], tenant = 'acme'): Pipeline {
  const at = new Date().toISOString();
  return {
    pipelineId: newId(new Date()),
    tenant,
    keyId: null,
    status: 'RUNNING',
    version: 1,
    createdAt: at,
    updatedAt: at,
    finishedAt: null,
    materialised: false,
    cancelRequested: false,
    webhooks: [],
    steps: steps.map((s) => ({
      ...s,
      jobId: newId(new Date()),
      continueOnFailure: false,
      jobType: 'echo',
      payload: { message: s.name },
      payloadRef: null,
      priority: 'normal',
      orderingKey: null,
      maxAttempts: 1,
      timeoutSeconds: 60,
    })),
  };
}

for (const target of backendsUnderTest()) {
  describe(`PipelineStore (${target.name})`, () => {
    let opened: OpenedBackend;
    let deps: RecordPipelineDeps;
    beforeAll(async () => {
      opened = await openBackend(target);
      const { backend, config } = opened;
      deps = {
        jobs: backend.jobs,
        pipelines: backend.pipelines,
        queue: backend.queue,
        blobs: backend.blobs,
        clock: systemClock,
        config,
        newId,
      };
    }, 60_000);
    afterAll(() => opened?.close());

    test('a record reads back as written; a second create of its id is refused', async () => {
      const record = bareRecord([{ name: 'a', needs: [] }]);
      await deps.pipelines.create(record);
      assert.deepEqual(await deps.pipelines.get(record.pipelineId), record);
      await assert.rejects(deps.pipelines.create({ ...record, tenant: 'other' }), ConflictError);
      assert.equal((await deps.pipelines.get(record.pipelineId))?.tenant, 'acme');
      assert.equal(await deps.pipelines.get(newId(new Date())), null);
    });

    test('a record created with a key stores the key in the same write; a live key refuses a second pipeline', async () => {
      const key = `key-${newId(new Date())}`;
      const keyRecord = (p: Pipeline) => ({
        tenant: 'acme',
        key,
        requestHash: 'b'.repeat(64),
        jobId: p.steps[0]!.jobId,
        pipelineId: p.pipelineId,
        createdAt: p.createdAt,
        expiresAt: new Date(Date.parse(p.createdAt) + 3_600_000).toISOString(),
      });
      const first = bareRecord([{ name: 'a', needs: [] }]);
      await deps.pipelines.create(first, keyRecord(first));
      assert.deepEqual(await deps.jobs.findIdempotencyRecord('acme', key, new Date()), keyRecord(first));
      const second = bareRecord([{ name: 'a', needs: [] }]);
      await assert.rejects(deps.pipelines.create(second, keyRecord(second)), ConflictError);
      assert.equal(await deps.pipelines.get(second.pipelineId), null, 'nothing written');
      // A pipeline, once recorded, is never undone: the release that frees an undone job's key leaves it.
      await deps.jobs.releaseIdempotencyRecord('acme', key, first.steps[0]!.jobId);
      assert.equal((await deps.jobs.findIdempotencyRecord('acme', key, new Date()))?.pipelineId, first.pipelineId);
      const otherTenant = bareRecord([{ name: 'a', needs: [] }], 'globex');
      await deps.pipelines.create(otherTenant, { ...keyRecord(otherTenant), tenant: 'globex' });
      assert.equal((await deps.pipelines.get(otherTenant.pipelineId))?.tenant, 'globex', 'keys are per tenant');
    });

    test('updates are conditional on status and version; a refused one changes nothing', async () => {
      const record = bareRecord([{ name: 'a', needs: [] }]);
      await deps.pipelines.create(record);
      const now = new Date();
      await assert.rejects(
        deps.pipelines.update(record.pipelineId, { status: ['RUNNING'], version: 7 }, { cancelRequested: true }, now),
        ConflictError,
      );
      await assert.rejects(deps.pipelines.update(record.pipelineId, { status: ['FAILED'] }, { cancelRequested: true }, now), ConflictError);
      assert.equal((await deps.pipelines.get(record.pipelineId))?.version, 1);
      const written = await deps.pipelines.update(
        record.pipelineId,
        { status: ['RUNNING'], version: 1 },
        { status: 'FAILED', finishedAt: now.toISOString() },
        now,
      );
      assert.equal(written.version, 2);
      assert.equal(written.status, 'FAILED');
      assert.deepEqual(await deps.pipelines.get(record.pipelineId), written);
      await assert.rejects(deps.pipelines.update(newId(new Date()), { status: ['RUNNING'] }, {}, now), NotFoundError);
    });

    test('listRunning finds running pipelines, and no job listing ever sees a pipeline', async () => {
      const running = bareRecord([{ name: 'a', needs: [] }], 'listing-tenant');
      const ended = bareRecord([{ name: 'a', needs: [] }], 'listing-tenant');
      await deps.pipelines.create(running);
      await deps.pipelines.create({ ...ended, status: 'SUCCEEDED' });
      const ids = (await deps.pipelines.listRunning(1000)).map((p) => p.pipelineId);
      assert.ok(ids.includes(running.pipelineId));
      assert.ok(!ids.includes(ended.pipelineId));
      const jobIds = [
        ...(await deps.jobs.list({ tenant: 'listing-tenant', limit: 100 })).jobs,
        ...(await deps.jobs.listByStatus('RUNNING', 1000)),
        ...(await deps.jobs.list({ limit: 1000 })).jobs,
      ].map((j) => j.jobId);
      assert.ok(!jobIds.some((id) => id.includes(running.pipelineId)));
    });

    test('100 steps are recorded in one write and all become jobs (more than one DynamoDB transaction holds)', async () => {
      const steps = [echoStep('s0', []), ...Array.from({ length: 99 }, (_, i) => echoStep(`s${i + 1}`, ['s0']))];
      const pipeline = await recordPipeline(deps, { tenant: 'acme', keyId: null, steps, webhooks: [], stepWebhooks: [] });
      assert.equal(pipeline.materialised, true);
      const jobs = await readStepJobs(deps, pipeline);
      assert.equal(jobs.size, 100);
      assert.equal(jobs.get('s0')?.status, 'QUEUED');
      assert.ok([...jobs.values()].filter((j) => j.jobId !== jobs.get('s0')?.jobId).every((j) => j.status === 'WAITING'));
      assert.deepEqual(jobs.get('s42')?.pipeline, { pipelineId: pipeline.pipelineId, step: 's42' });
    }, 60_000);

    test('a recording interrupted before its jobs existed is finished by advancing, once', async () => {
      const record = bareRecord([
        { name: 'a', needs: [] },
        { name: 'b', needs: ['a'] },
      ]);
      await deps.pipelines.create(record);
      assert.equal((await readStepJobs(deps, record)).size, 0);
      await Promise.all([advancePipeline(deps, record.pipelineId), advancePipeline(deps, record.pipelineId)]);
      const jobs = await readStepJobs(deps, record);
      assert.deepEqual([jobs.get('a')?.status, jobs.get('b')?.status], ['QUEUED', 'WAITING']);
      assert.equal((await deps.pipelines.get(record.pipelineId))?.materialised, true);
    });

    test('the write that ends a pipeline writes the webhook deliveries it owes, once', async () => {
      const record = {
        ...bareRecord([{ name: 'a', needs: [] }]),
        webhooks: [{ url: 'https://example.com/hook', events: ['pipeline.failed' as const], endpointId: null }],
      };
      await deps.pipelines.create(record);
      const ended = await endPipeline(deps, record, 'FAILED');
      await endPipeline(deps, record, 'FAILED');
      assert.equal(ended.status, 'FAILED');
      const deliveries = await opened.backend.webhookDeliveries.listBySubject('pipeline', record.pipelineId);
      assert.deepEqual(
        deliveries.map((d) => [d.event, d.url, d.status]),
        [['pipeline.failed', 'https://example.com/hook', 'PENDING']],
      );
      const succeeded = { ...bareRecord([{ name: 'a', needs: [] }]), webhooks: record.webhooks };
      await deps.pipelines.create(succeeded);
      await endPipeline(deps, succeeded, 'SUCCEEDED');
      assert.deepEqual(await opened.backend.webhookDeliveries.listBySubject('pipeline', succeeded.pipelineId), [], 'not an event it wants');
    });

    test('racing advancers release a ready step once, with its references resolved', async () => {
      const pipeline = await recordPipeline(deps, {
        tenant: 'acme',
        keyId: null,
        webhooks: [],
        stepWebhooks: [],
        steps: [echoStep('a', []), echoStep('b', ['a'], { message: { $from: 'a', pointer: '/echoed_message' } })],
      });
      const a = (await readStepJobs(deps, pipeline)).get('a')!;
      const now = new Date();
      // As the dispatcher and a worker would move it: claimed, started, succeeded.
      const claimed = await deps.jobs.update(
        a.jobId,
        { status: ['QUEUED'], version: a.version },
        { status: 'DISPATCHED', attempt: 1 },
        now,
      );
      const started = await deps.jobs.update(a.jobId, { status: ['DISPATCHED'], version: claimed.version }, { status: 'RUNNING' }, now);
      await deps.jobs.update(
        a.jobId,
        { status: ['RUNNING'], version: started.version },
        { status: 'SUCCEEDED', result: { echoed_message: 'from a' } },
        now,
      );
      await Promise.all([
        advancePipeline(deps, pipeline.pipelineId),
        advancePipeline(deps, pipeline.pipelineId),
        advancePipeline(deps, pipeline.pipelineId),
      ]);
      const b = (await readStepJobs(deps, pipeline)).get('b')!;
      assert.equal(b.status, 'QUEUED');
      assert.equal(b.version, 2, 'one write released it');
      assert.deepEqual(b.payload, { message: 'from a' });
    });
  });
}
