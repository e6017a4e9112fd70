/**
 * A streaming Claude job watched live through the API, on both backends: the real API, dispatcher
 * and workers (child processes, or ECS tasks run from what RunTask recorded), the real SDK talking
 * to the fake Messages API. The client drops its event stream mid-answer, reconnects with
 * Last-Event-ID, and reassembles exactly the model's text: no gap, no duplicate.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { readServerSentEvents, type ServerSentEvent } from '../../bin/client/sse-events.ts';
import { getJob, postJob } from '../support/api-client.ts';
import { reply, startFakeAnthropic, type FakeAnthropic } from '../support/fake-anthropic.ts';
import { backendNames, startSystem, type TestSystem } from '../support/system.ts';

const API_KEY = 'sk-live-events';
// ~60 words at 40 ms a delta: a stream of ~2.5 s, long enough to drop the connection inside it.
const ANSWER =
  Array.from({ length: 12 }, (_, i) => `Step ${i + 1}: the dispatcher hands the job to one worker,`).join(' ') +
  ' and the client follows every word live.';

interface StreamedEvent {
  seq: number;
  type: string;
  attempt: number;
  data: Record<string, unknown>;
}

/** Reads the job's event stream until `stop` says so (then drops the connection) or the stream ends. */
async function readEvents(
  url: string,
  jobId: string,
  lastEventId: string | null,
  stop: (events: StreamedEvent[]) => boolean,
): Promise<{ events: StreamedEvent[]; end: ServerSentEvent | null; lastId: string | null }> {
  const abort = new AbortController();
  const res = await fetch(`${url}/jobs/${jobId}/events`, {
    headers: { accept: 'text/event-stream', ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
    signal: abort.signal,
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  const events: StreamedEvent[] = [];
  let lastId = lastEventId;
  let end: ServerSentEvent | null = null;
  try {
    for await (const sse of readServerSentEvents(res.body!)) {
      if (sse.event === 'end') {
        end = sse;
        break;
      }
      if (sse.event === 'error') throw new Error(`the stream reported an error: ${sse.data}`);
      const parsed = JSON.parse(sse.data) as StreamedEvent;
      assert.equal(sse.id, String(parsed.seq), 'the SSE id is the event sequence number');
      events.push(parsed);
      lastId = sse.id;
      if (stop(events)) break;
    }
  } finally {
    abort.abort(); // drops the connection, like a client going away mid-stream
  }
  return { events, end, lastId };
}

for (const name of backendNames()) {
  describe(`live events of a streaming Claude job through the API (${name})`, () => {
    let fake: FakeAnthropic;
    let system: TestSystem;

    beforeAll(async () => {
      fake = await startFakeAnthropic({ apiKey: API_KEY });
      fake.respondWith(() => reply.text(ANSWER, { eventDelayMs: 40 }));
      system =
        name === 'embedded'
          ? await startSystem(name, { ANTHROPIC_BASE_URL: fake.url, ANTHROPIC_API_KEY: API_KEY })
          : await startSystem(name, {}, { workerEnv: { ANTHROPIC_BASE_URL: fake.url }, anthropicApiKey: API_KEY });
      system.startDispatcher();
    });

    afterAll(async () => {
      await system?.stop();
      await fake?.close();
    });

    test('a client that drops the stream mid-answer and reconnects with Last-Event-ID reassembles the exact text', async () => {
      const job = await postJob(system.url, { job_type: 'claude_chat', payload: { prompt: 'How does a job travel?' } });
      const textOf = (events: StreamedEvent[]) =>
        events
          .filter((e) => e.type === 'text_delta')
          .map((e) => String(e.data.text))
          .join('');

      const first = await readEvents(system.url, job.job_id, null, (events) => events.filter((e) => e.type === 'text_delta').length >= 3);
      assert.equal(first.end, null, 'the first connection was dropped before the stream ended');
      assert.ok(first.lastId, 'events carry ids');
      const second = await readEvents(system.url, job.job_id, first.lastId, () => false);
      assert.ok(second.end, 'the resumed stream ends with the job');
      assert.equal(JSON.parse(second.end.data).status, 'SUCCEEDED');

      const all = [...first.events, ...second.events];
      assert.ok(
        second.events.some((e) => e.type === 'text_delta'),
        'part of the answer arrived after the reconnect',
      );
      assert.deepEqual(
        all.map((e) => e.seq),
        all.map((_, i) => all[0]!.seq + i),
        'sequence numbers run on without a gap or a repeat across the reconnect',
      );
      assert.equal(textOf(all), ANSWER);
      assert.ok(
        all.some((e) => e.type === 'model_call'),
        'the priced model call is among the events',
      );

      const done = await getJob(system.url, job.job_id);
      assert.equal(done.status, 'SUCCEEDED');
      assert.equal((done.result as { response: string }).response, ANSWER);
      // A client arriving after the end gets the whole log, then the end.
      const replay = await readEvents(system.url, job.job_id, null, () => false);
      assert.equal(textOf(replay.events), ANSWER);
      assert.ok(replay.end);
    });
  });
}
