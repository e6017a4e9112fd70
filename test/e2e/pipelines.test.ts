/**
 * Pipelines on both backends, through the real API, dispatcher and workers (child processes, or
 * ECS tasks run from what RunTask recorded), the Claude steps against the fake Messages API.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { JsonObject } from '@agent-runner/shared/domain/job.ts';
import { readServerSentEvents } from '../../bin/client/sse-events.ts';
import { getJob, postJob } from '../support/api-client.ts';
import { reply, startFakeAnthropic, type FakeAnthropic, type RecordedRequest } from '../support/fake-anthropic.ts';
import { backendNames, startSystem, type TestSystem } from '../support/system.ts';
import { waitFor } from '../support/wait-for.ts';

const API_KEY = 'sk-pipelines';
const SYNTHESIS = 'Tides are the ocean answering the moon, twice a day.';
const SUMMARY = 'Moon pulls sea.';

interface StepView {
  name: string;
  job_id: string;
  status: string;
  error: { kind: string; message: string } | null;
  cost_usd: number | null;
}
interface PipelineView {
  pipeline_id: string;
  status: string;
  cost_usd: number;
  steps: StepView[];
}

async function postPipeline(url: string, body: unknown): Promise<{ status: number; body: JsonObject; type: string }> {
  const res = await fetch(`${url}/pipelines`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as JsonObject, type: res.headers.get('content-type') ?? '' };
}

async function getPipeline(url: string, id: string): Promise<PipelineView> {
  const res = await fetch(`${url}/pipelines/${id}`);
  assert.equal(res.status, 200);
  return (await res.json()) as PipelineView;
}

/** Generous: on a loaded shared machine the AWS emulator and the worker tasks can be slow. */
async function waitForEnd(url: string, id: string, timeoutMs = 200_000): Promise<PipelineView> {
  let last: PipelineView | null = null;
  try {
    return await waitFor(
      `pipeline ${id} to end`,
      async () => {
        last = await getPipeline(url, id);
        return last.status === 'RUNNING' ? undefined : last;
      },
      { timeoutMs, intervalMs: 250 },
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; last seen: ${JSON.stringify(last)}`);
  }
}

const stepOf = (p: PipelineView, name: string) => p.steps.find((s) => s.name === name)!;
const userText = (request: RecordedRequest) => String((request.body.messages as JsonObject[])[0]?.content);

/** Research plans, answers and synthesises; the summarising chat gets its own answer. */
function responder(request: RecordedRequest) {
  const system = String(request.body.system);
  if (system.includes('summarise research')) return reply.text(SUMMARY);
  if (system.includes('research planner')) {
    const questions = ['What are tides?', 'What causes tides?', 'Why two a day?'];
    return reply.text(`\`\`\`json\n${JSON.stringify({ questions })}\n\`\`\``);
  }
  if (system.includes('research analyst')) return reply.text('An answer.');
  return reply.text(SYNTHESIS);
}

for (const name of backendNames()) {
  describe(`pipelines (${name})`, () => {
    let fake: FakeAnthropic;
    let system: TestSystem;

    beforeAll(async () => {
      fake = await startFakeAnthropic({ apiKey: API_KEY });
      fake.respondWith(responder);
      system =
        name === 'embedded'
          ? await startSystem(name, { ANTHROPIC_BASE_URL: fake.url, ANTHROPIC_API_KEY: API_KEY })
          : await startSystem(name, {}, { workerEnv: { ANTHROPIC_BASE_URL: fake.url }, anthropicApiKey: API_KEY });
      system.startDispatcher();
    }, 240_000);

    afterAll(async () => {
      await system?.stop();
      await fake?.close();
    });

    test('research → claude_chat summarising its synthesis → echo run in order and pass values', async () => {
      const posted = await postPipeline(system.url, {
        steps: [
          { name: 'research', job_type: 'research', payload: { topic: 'tides' } },
          {
            name: 'summary',
            needs: ['research'],
            job_type: 'claude_chat',
            payload: { system: 'You summarise research in three words.', prompt: { $from: 'research', pointer: '/synthesis' } },
          },
          { name: 'publish', needs: ['summary'], job_type: 'echo', payload: { message: { $from: 'summary', pointer: '/response' } } },
        ],
      });
      assert.equal(posted.status, 202, JSON.stringify(posted.body));
      const id = String(posted.body.pipeline_id);
      const initial = posted.body.steps as unknown as StepView[];
      assert.deepEqual(
        initial.map((s) => [s.name, s.status]),
        [
          ['research', 'QUEUED'],
          ['summary', 'WAITING'],
          ['publish', 'WAITING'],
        ],
      );

      const done = await waitForEnd(system.url, id);
      assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
      const [research, summary, publish] = await Promise.all(done.steps.map((s) => getJob(system.url, s.job_id)));
      // In order: each step started after the one it needs had finished.
      assert.ok(String(summary!.started_at) >= String(research!.finished_at));
      assert.ok(String(publish!.started_at) >= String(summary!.finished_at));
      // The summarising request carried research's synthesis; the echo carried the summary.
      const summarising = fake.requests.find((r) => String(r.body.system).includes('summarise research'));
      assert.ok(summarising, 'the stand-in received the summarising request');
      assert.equal(userText(summarising), SYNTHESIS);
      assert.equal((publish!.result as JsonObject).echoed_message, SUMMARY);
      assert.deepEqual(summary!.pipeline, { pipeline_id: id, step: 'summary', link: `/pipelines/${id}` });
      assert.ok(done.cost_usd > 0, 'the Claude steps cost something');
      assert.equal(done.cost_usd, (stepOf(done, 'research').cost_usd ?? 0) + (stepOf(done, 'summary').cost_usd ?? 0));
    }, 240_000);

    test('a failing middle step skips its dependents; continue_on_failure runs; a $from to it fails', async () => {
      const posted = await postPipeline(system.url, {
        steps: [
          { name: 'a', job_type: 'echo', payload: { message: 'first' } },
          { name: 'b', needs: ['a'], job_type: 'echo', payload: { message: 'boom', fail: 'fatal' }, max_attempts: 1 },
          { name: 'c', needs: ['b'], job_type: 'echo', payload: { message: 'never' } },
          { name: 'd', needs: ['c'], job_type: 'echo', payload: { message: 'never either' } },
          { name: 'cleanup', needs: ['b'], continue_on_failure: true, job_type: 'echo', payload: { message: 'cleaning up' } },
          {
            name: 'uses-b',
            needs: ['b'],
            continue_on_failure: true,
            job_type: 'echo',
            payload: { message: { $from: 'b', pointer: '/echoed_message' } },
          },
        ],
      });
      assert.equal(posted.status, 202, JSON.stringify(posted.body));
      const done = await waitForEnd(system.url, String(posted.body.pipeline_id));
      assert.equal(done.status, 'FAILED');
      assert.deepEqual(
        done.steps.map((s) => [s.name, s.status]),
        [
          ['a', 'SUCCEEDED'],
          ['b', 'FAILED'],
          ['c', 'SKIPPED'],
          ['d', 'SKIPPED'],
          ['cleanup', 'SUCCEEDED'],
          ['uses-b', 'FAILED'],
        ],
      );
      assert.deepEqual(stepOf(done, 'c').error, { kind: 'skipped', message: 'step "b" it needs ended FAILED', handler: null });
      assert.equal(stepOf(done, 'd').error?.message, 'step "c" it needs ended SKIPPED');
      assert.match(String(stepOf(done, 'uses-b').error?.message), /payload\.message takes a value from step "b", which ended FAILED/);
      const skipped = await getJob(system.url, stepOf(done, 'c').job_id);
      assert.equal(skipped.attempt, 0, 'a skipped step never ran');
    }, 240_000);

    test('cancel stops the running step and ends the waiting ones', async () => {
      const posted = await postPipeline(system.url, {
        steps: [
          { name: 'slow', job_type: 'echo', payload: { message: 'slow', sleep_ms: 60_000 } },
          { name: 'after', needs: ['slow'], job_type: 'echo', payload: { message: 'after' } },
        ],
      });
      const id = String(posted.body.pipeline_id);
      await waitFor(
        'the first step to run',
        async () => ((await getPipeline(system.url, id)).steps[0]!.status === 'RUNNING' ? true : undefined),
        {
          timeoutMs: 60_000,
        },
      );
      const res = await fetch(`${system.url}/pipelines/${id}/cancel`, { method: 'POST' });
      assert.equal(res.status, 202);
      const cancelled = (await res.json()) as PipelineView;
      assert.equal(cancelled.status, 'CANCELLED');
      assert.deepEqual(
        cancelled.steps.map((s) => [s.name, s.status]),
        [
          ['slow', 'CANCELLED'],
          ['after', 'CANCELLED'],
        ],
      );
      const again = await fetch(`${system.url}/pipelines/${id}/cancel`, { method: 'POST' });
      assert.equal(again.status, 409);
      // The worker of the cancelled step is stopped by the dispatcher, as for any cancelled job.
      await waitFor('the cancelled step to stay cancelled with its worker gone', async () => {
        const job = await getJob(system.url, cancelled.steps[0]!.job_id);
        return job.status === 'CANCELLED' ? true : undefined;
      });
    }, 240_000);

    test('POST /jobs with then runs the jobs in order and answers with the first', async () => {
      const first = await postJob(system.url, {
        job_type: 'echo',
        payload: { message: 'hello' },
        // biome-ignore lint/suspicious/noThenProperty: POST /jobs names the field `then`; this body is never awaited.
        then: [{ job_type: 'echo', payload: { message: { $from: 'job', pointer: '/echoed_message' } } }],
      });
      const link = first.pipeline as { pipeline_id: string; step: string };
      assert.equal(link.step, 'job');
      const done = await waitForEnd(system.url, link.pipeline_id);
      assert.equal(done.status, 'SUCCEEDED');
      assert.equal(done.steps[0]!.job_id, first.job_id);
      const second = await getJob(system.url, done.steps[1]!.job_id);
      assert.equal((second.result as JsonObject).echoed_message, 'hello');
    }, 240_000);

    test('a step that ended without advancing its pipeline (a crash between) is advanced by the sweep', async () => {
      await system.stopDispatchers();
      let restarted = false;
      try {
        const posted = await postPipeline(system.url, {
          steps: [
            { name: 'a', job_type: 'echo', payload: { message: 'one' } },
            { name: 'b', needs: ['a'], job_type: 'echo', payload: { message: { $from: 'a', pointer: '/echoed_message' } } },
          ],
        });
        const id = String(posted.body.pipeline_id);
        const aId = (posted.body.steps as unknown as StepView[])[0]!.job_id;
        // What a worker writes before it would advance the pipeline: a ends, and nothing else happens.
        const jobs = system.backend.jobs;
        const now = new Date();
        const claimed = await jobs.update(aId, { status: ['QUEUED'], version: 1 }, { status: 'DISPATCHED', attempt: 1 }, now);
        const running = await jobs.update(aId, { status: ['DISPATCHED'], version: claimed.version }, { status: 'RUNNING' }, now);
        await jobs.update(
          aId,
          { status: ['RUNNING'], version: running.version },
          { status: 'SUCCEEDED', result: { echoed_message: 'one' } },
          now,
        );
        assert.equal(stepOf(await getPipeline(system.url, id), 'b').status, 'WAITING');
        system.startDispatcher();
        restarted = true;
        const done = await waitForEnd(system.url, id);
        assert.equal(done.status, 'SUCCEEDED');
        const b = await getJob(system.url, stepOf(done, 'b').job_id);
        assert.equal((b.result as JsonObject).echoed_message, 'one');
        assert.equal(b.attempt, 1, 'released once, run once');
      } finally {
        if (!restarted) system.startDispatcher();
      }
    }, 240_000);

    test('GET /pipelines/{id}/events streams each step status change, then the end', async () => {
      const posted = await postPipeline(system.url, {
        steps: [
          { name: 'a', job_type: 'echo', payload: { message: 'one', sleep_ms: 300 } },
          { name: 'b', needs: ['a'], job_type: 'echo', payload: { message: 'two' } },
        ],
      });
      const res = await fetch(`${system.url}/pipelines/${String(posted.body.pipeline_id)}/events`, {
        headers: { accept: 'text/event-stream' },
      });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
      const seen: { step: string; status: string }[] = [];
      let end: { status: string } | null = null;
      for await (const sse of readServerSentEvents(res.body!)) {
        if (sse.event === 'step') seen.push(JSON.parse(sse.data) as { step: string; status: string });
        if (sse.event === 'end') {
          end = JSON.parse(sse.data) as { status: string };
          break;
        }
      }
      assert.deepEqual(end, { status: 'SUCCEEDED' });
      const statusesOf = (step: string) => seen.filter((e) => e.step === step).map((e) => e.status);
      assert.equal(statusesOf('a').at(-1), 'SUCCEEDED');
      assert.equal(statusesOf('b')[0], 'WAITING', 'the first events carry every step as it was on connecting');
      assert.equal(statusesOf('b').at(-1), 'SUCCEEDED');
    }, 240_000);

    test('a pipeline and a then chain submitted twice with an Idempotency-Key each run once', async () => {
      const marker = `once-${name}-${Date.now()}`;
      const submitTwice = async (path: string, body: object) => {
        const answers = [];
        for (let i = 0; i < 2; i++) {
          const res = await fetch(`${system.url}${path}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'idempotency-key': `"${marker}${path}"` },
            body: JSON.stringify(body),
          });
          answers.push({ status: res.status, body: (await res.json()) as { pipeline_id?: string; pipeline?: { pipeline_id: string } } });
        }
        assert.deepEqual(
          answers.map((a) => a.status),
          [202, 200],
        );
        const ids = answers.map((a) => a.body.pipeline_id ?? a.body.pipeline?.pipeline_id);
        assert.equal(ids[0], ids[1], 'the repeat names the same pipeline');
        return String(ids[0]);
      };
      const steps = [
        { name: 'a', job_type: 'echo', payload: { message: marker } },
        { name: 'b', needs: ['a'], job_type: 'echo', payload: { message: { $from: 'a', pointer: '/echoed_message' } } },
      ];
      const pipelineId = await submitTwice('/pipelines', { steps });
      const chainId = await submitTwice('/jobs', {
        job_type: 'echo',
        payload: { message: marker },
        // biome-ignore lint/suspicious/noThenProperty: POST /jobs names the field `then`; this body is never awaited.
        then: [{ job_type: 'echo', payload: { message: { $from: 'job', pointer: '/echoed_message' } } }],
      });
      for (const id of [pipelineId, chainId]) assert.equal((await waitForEnd(system.url, id)).status, 'SUCCEEDED');
      const { jobs } = (await (await fetch(`${system.url}/jobs?limit=100&job_type=echo`)).json()) as {
        jobs: { status: string; pipeline: { pipeline_id: string } | null }[];
      };
      const ran = jobs.filter((j) => j.pipeline && [pipelineId, chainId].includes(j.pipeline.pipeline_id));
      assert.equal(ran.length, 4, 'two steps each, once');
      assert.ok(ran.every((j) => j.status === 'SUCCEEDED'));
    }, 240_000);

    test('a cycle, an unknown step or a $from to a step not needed is a 400 that records nothing', async () => {
      const before = (await (await fetch(`${system.url}/jobs?limit=100`)).json()) as { jobs: unknown[] };
      const cycle = await postPipeline(system.url, {
        steps: [
          { name: 'a', needs: ['b'], job_type: 'echo', payload: { message: 'x' } },
          { name: 'b', needs: ['a'], job_type: 'echo', payload: { message: 'y' } },
        ],
      });
      assert.equal(cycle.status, 400);
      assert.match(cycle.type, /^application\/problem\+json/);
      assert.match(String(cycle.body.detail), /cycle: a -> b -> a/);
      const unknown = await postPipeline(system.url, {
        steps: [{ name: 'a', needs: ['ghost'], job_type: 'echo', payload: { message: 'x' } }],
      });
      assert.equal(unknown.status, 400);
      assert.deepEqual(unknown.body.errors, [{ path: 'steps[0].needs[0]', message: 'unknown step "ghost"' }]);
      const notNeeded = await postPipeline(system.url, {
        steps: [
          { name: 'a', job_type: 'echo', payload: { message: 'x' } },
          { name: 'b', job_type: 'echo', payload: { message: { $from: 'a', pointer: '/echoed_message' } } },
        ],
      });
      assert.equal(notNeeded.status, 400);
      assert.match(String(notNeeded.body.detail), /steps\[1\]\.payload\.message: takes a value from "a", a step it does not need/);
      const badPayload = await postPipeline(system.url, {
        steps: [
          { name: 'a', job_type: 'echo', payload: { message: 'x' } },
          { name: 'b', needs: ['a'], job_type: 'echo', payload: { message: { $from: 'a', pointer: '/x' }, sleep_ms: -1 } },
        ],
      });
      assert.equal(badPayload.status, 400, 'a payload is still checked where no reference stands');
      assert.deepEqual(
        (badPayload.body.errors as { path: string }[]).map((e) => e.path),
        ['steps[1].payload.sleep_ms'],
      );
      const keyed = await fetch(`${system.url}/pipelines`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': '"unterminated' },
        body: JSON.stringify({ steps: [{ name: 'a', job_type: 'echo', payload: { message: 'x' } }] }),
      });
      assert.equal(keyed.status, 400, 'a malformed Idempotency-Key is refused, not ignored');
      const after = (await (await fetch(`${system.url}/jobs?limit=100`)).json()) as { jobs: unknown[] };
      assert.equal(after.jobs.length, before.jobs.length, 'no job was recorded');
    });
  });
}
