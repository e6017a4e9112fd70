import assert from 'node:assert/strict';
import { test } from 'vitest';
import { readServerSentEvents, type ServerSentEvent, type StreamHints } from './sse-events.ts';

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function collect(chunks: string[], hints?: StreamHints): Promise<ServerSentEvent[]> {
  const events: ServerSentEvent[] = [];
  for await (const e of readServerSentEvents(streamOf(chunks), hints)) events.push(e);
  return events;
}

test('events with ids, types and multi-line data; comments and retry are not events', async () => {
  const hints: StreamHints = { retryMs: null };
  const events = await collect(
    ['retry: 1000\n\n: keep-alive\n\nid: 1\nevent: text_delta\ndata: {"a":1}\n\nid: 2\ndata: line one\ndata: line two\n\n'],
    hints,
  );
  assert.deepEqual(events, [
    { id: '1', event: 'text_delta', data: '{"a":1}' },
    { id: '2', event: 'message', data: 'line one\nline two' },
  ]);
  assert.equal(hints.retryMs, 1000);
});

test('lines split across chunks, CRLF split between chunks, CR-only line ends, and multi-byte characters split mid-character', async () => {
  const events = await collect(['id: 7\r', '\nevent: end\r\ndata: {"status":', '"SUCCEEDED"}\r', '\r', 'data: cr only\r\r']);
  assert.deepEqual(events, [
    { id: '7', event: 'end', data: '{"status":"SUCCEEDED"}' },
    { id: '7', event: 'message', data: 'cr only' },
  ]);

  const bytes = new TextEncoder().encode('data: héllo ✓\n\n');
  const cut = bytes.indexOf(0xc3) + 1; // inside "é"
  const split: ReadableStream<Uint8Array> = new ReadableStream({
    start(controller) {
      controller.enqueue(bytes.slice(0, cut));
      controller.enqueue(bytes.slice(cut));
      controller.close();
    },
  });
  const out: ServerSentEvent[] = [];
  for await (const e of readServerSentEvents(split)) out.push(e);
  assert.deepEqual(out, [{ id: null, event: 'message', data: 'héllo ✓' }]);
});

test('an event without data is dropped, and one cut off by the end of the stream is not dispatched', async () => {
  assert.deepEqual(await collect(['event: ping\n\n', 'id: 3\ndata: partial']), []);
});
