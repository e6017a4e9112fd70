/**
 * A local stand-in for the Anthropic Messages API (POST /v1/messages), for pointing the real
 * `@anthropic-ai/sdk` at (`baseURL`). It speaks the wire format the SDK parses
 * (node_modules/@anthropic-ai/sdk/src/core/streaming.ts, lib/MessageStream.ts): a JSON Message, or
 * an SSE stream of message_start, ping, content_block_start, content_block_delta (text_delta /
 * input_json_delta), content_block_stop, message_delta (stop_reason + usage), message_stop; errors
 * as `{"type":"error","error":{"type","message"},"request_id"}` with the matching status, and an
 * `event: error` inside a stream. Replies are scripted per test (a queue, then a function of the
 * request); every request is recorded with its headers and body.
 *
 * With `limits` it also enforces the API's rate limits (fake-anthropic-limits.ts): requests, input
 * and output tokens per window, answered `429 rate_limit_error` with `retry-after` when exceeded,
 * and every answer carries the `anthropic-ratelimit-*` headers of that state.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JsonObject, JsonValue } from '@agent-runner/shared/domain/job.ts';
import { FakeRateLimiter, type FakeRateLimits } from './fake-anthropic-limits.ts';

export type { FakeRateLimits } from './fake-anthropic-limits.ts';

export interface RecordedRequest {
  method: string;
  path: string;
  /** Lower-cased names. */
  headers: Record<string, string>;
  body: JsonObject;
  /** Date.now() when the request arrived. */
  receivedAtMs: number;
}

export type FakeContent = { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: JsonObject };

export interface FakeUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

export type StopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'pause_turn' | 'refusal';

export type FakeReply =
  | {
      kind: 'message';
      content: FakeContent[];
      stopReason: StopReason;
      usage: FakeUsage;
      /** The model the response names; the request's by default. */
      model?: string;
      headers?: Record<string, string>;
      /** Pause between stream events, to hold a request open (concurrency, abort). */
      eventDelayMs?: number;
    }
  | { kind: 'error'; status: number; type: string; message: string; headers?: Record<string, string> }
  /** A 200 stream that sends `textBefore` and then an `event: error` (e.g. overloaded mid-stream). */
  | { kind: 'stream_error'; type: string; message: string; textBefore: string };

export type Responder = (request: RecordedRequest, index: number) => FakeReply | Promise<FakeReply>;

interface MessageOptions {
  usage?: Partial<FakeUsage>;
  model?: string;
  headers?: Record<string, string>;
  eventDelayMs?: number;
  stopReason?: StopReason;
}

const DEFAULT_USAGE: FakeUsage = {
  input_tokens: 25,
  output_tokens: 10,
  cache_creation_input_tokens: 0,
  cache_read_input_tokens: 0,
};

/** Builders for scripted replies. */
export const reply = {
  text(text: string, opts: MessageOptions = {}): FakeReply {
    return message([{ type: 'text', text }], opts.stopReason ?? 'end_turn', opts);
  },
  toolUse(calls: { name: string; input: JsonObject; id?: string }[], opts: MessageOptions & { text?: string } = {}): FakeReply {
    const content: FakeContent[] = opts.text ? [{ type: 'text', text: opts.text }] : [];
    for (const call of calls) {
      content.push({ type: 'tool_use', id: call.id ?? `toolu_fake_${++toolUseCounter}`, name: call.name, input: call.input });
    }
    return message(content, 'tool_use', opts);
  },
  error(status: number, type: string, message: string, headers: Record<string, string> = {}): FakeReply {
    return { kind: 'error', status, type, message, headers };
  },
  rateLimited({ retryAfterSeconds }: { retryAfterSeconds: number }): FakeReply {
    return reply.error(429, 'rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit', {
      'retry-after': String(retryAfterSeconds),
      'anthropic-ratelimit-requests-remaining': '0',
    });
  },
  overloaded(headers: Record<string, string> = {}): FakeReply {
    return reply.error(529, 'overloaded_error', 'Overloaded', headers);
  },
  serverError(): FakeReply {
    return reply.error(500, 'api_error', 'Internal server error');
  },
  badRequest(message: string): FakeReply {
    return reply.error(400, 'invalid_request_error', message);
  },
  unauthorized(): FakeReply {
    return reply.error(401, 'authentication_error', 'invalid x-api-key');
  },
  streamError(type: string, message: string, textBefore = ''): FakeReply {
    return { kind: 'stream_error', type, message, textBefore };
  },
};

let toolUseCounter = 0;

function message(content: FakeContent[], stopReason: StopReason, opts: MessageOptions): FakeReply {
  return {
    kind: 'message',
    content,
    stopReason,
    usage: { ...DEFAULT_USAGE, ...opts.usage },
    ...(opts.model !== undefined ? { model: opts.model } : {}),
    ...(opts.headers !== undefined ? { headers: opts.headers } : {}),
    ...(opts.eventDelayMs !== undefined ? { eventDelayMs: opts.eventDelayMs } : {}),
  };
}

export interface FakeAnthropic {
  /** The base URL to give the SDK (`baseURL`). */
  readonly url: string;
  /** Every request, in arrival order (including the ones refused for a bad key or shape). */
  readonly requests: RecordedRequest[];
  /** The most /v1/messages requests that were open at once. */
  readonly maxConcurrent: number;
  /** /v1/messages requests answered 429 by the enforced `limits` (none without them). */
  readonly rateLimited: number;
  /** Replies used first, in order, one per request. */
  enqueue(...replies: FakeReply[]): void;
  /** Replies for requests once the queue is empty. */
  respondWith(responder: Responder): void;
  /** Forgets the recorded requests, the queue, the responder and the concurrency peak (between tests). */
  reset(): void;
  close(): Promise<void>;
}

/**
 * Starts the fake on 127.0.0.1 and a free port. Requests without an API key (or with one other
 * than `apiKey`, when given) get the API's 401; ones without `anthropic-version` or a required field
 * get its 400 — before any scripted reply is used.
 */
export async function startFakeAnthropic(opts: { apiKey?: string; limits?: FakeRateLimits } = {}): Promise<FakeAnthropic> {
  const limiter = opts.limits ? new FakeRateLimiter(opts.limits) : null;
  let rateLimited = 0;
  const requests: RecordedRequest[] = [];
  const queue: FakeReply[] = [];
  let responder: Responder | null = null;
  let inFlight = 0;
  let maxConcurrent = 0;
  let messageCount = 0;
  let requestCount = 0;
  const open = new Set<ServerResponse>();

  const server = createServer((req, res) => {
    open.add(res);
    res.once('close', () => open.delete(res));
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) writeError(res, 500, 'api_error', `fake-anthropic failed: ${String(error)}`, {});
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await readBody(req);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
    }
    let body: JsonObject = {};
    try {
      const parsed = JSON.parse(text || '{}') as JsonValue;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed;
    } catch {
      // Recorded as {}; refused below.
    }
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    const request: RecordedRequest = { method: req.method ?? 'GET', path, headers, body, receivedAtMs: Date.now() };
    requests.push(request);
    const index = requestCount++;

    if (request.method !== 'POST' || path !== '/v1/messages') {
      return writeError(res, 404, 'not_found_error', `${request.method} ${path} is not served by fake-anthropic`, {});
    }
    const key = apiKeyOf(headers);
    if (!key || (opts.apiKey !== undefined && key !== opts.apiKey)) {
      return writeError(res, 401, 'authentication_error', 'invalid x-api-key', {});
    }
    if (!headers['anthropic-version']) {
      return writeError(res, 400, 'invalid_request_error', 'anthropic-version: header is required', {});
    }
    for (const field of ['model', 'max_tokens', 'messages'] as const) {
      if (body[field] === undefined) return writeError(res, 400, 'invalid_request_error', `${field}: Field required`, {});
    }

    let limits = rateLimitHeaders(index);
    let refund: ((outputTokens: number) => void) | null = null;
    if (limiter) {
      const maxTokens = typeof body.max_tokens === 'number' ? body.max_tokens : 0;
      const taken = limiter.take({ inputTokens: inputTokensOf(body), outputTokens: maxTokens });
      limits = { 'request-id': `req_fake_${index}`, ...taken.headers };
      if (!taken.ok) {
        rateLimited++;
        return writeError(res, 429, 'rate_limit_error', `This request would exceed the rate limit for ${taken.dimension}`, limits);
      }
      refund = (outputTokens) => limiter.refundOutput(Math.max(0, maxTokens - outputTokens));
    }

    inFlight++;
    maxConcurrent = Math.max(maxConcurrent, inFlight);
    res.once('close', () => inFlight--);
    const next = queue.shift() ?? (responder ? await responder(request, index) : null);
    if (!next) {
      refund?.(0);
      return writeError(res, 400, 'invalid_request_error', `fake-anthropic: no reply scripted for request #${index}`, {});
    }
    // The API reserves max_tokens of output when a call starts and gives back what it did not use.
    refund?.(next.kind === 'message' ? next.usage.output_tokens : 0);
    switch (next.kind) {
      case 'error':
        return writeError(res, next.status, next.type, next.message, { ...limits, ...next.headers });
      case 'stream_error':
        return writeStreamError(res, next, String(body.model), limits);
      case 'message': {
        const id = `msg_fake_${++messageCount}`;
        const model = next.model ?? String(body.model);
        if (body.stream === true) return writeStream(res, id, model, next, { ...limits, ...next.headers });
        res.writeHead(200, { 'content-type': 'application/json', ...limits, ...next.headers });
        res.end(JSON.stringify(fullMessage(id, model, next)));
        return;
      }
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get maxConcurrent() {
      return maxConcurrent;
    },
    get rateLimited() {
      return rateLimited;
    },
    enqueue: (...replies) => void queue.push(...replies),
    respondWith: (fn) => {
      responder = fn;
    },
    reset: () => {
      requests.length = 0;
      queue.length = 0;
      responder = null;
      maxConcurrent = inFlight;
      rateLimited = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of open) res.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The SDK (1.x) sends an API key as `Authorization: Bearer <key>`; the API also takes `x-api-key`. */
function apiKeyOf(headers: Record<string, string>): string | undefined {
  const bearer = /^Bearer (.+)$/.exec(headers.authorization ?? '')?.[1];
  return bearer ?? headers['x-api-key'];
}

/** The request's text in tokens, at ~4 characters a token (what the API would count, roughly). */
function inputTokensOf(body: JsonObject): number {
  return Math.ceil((JSON.stringify(body.messages ?? []).length + JSON.stringify(body.system ?? '').length) / 4);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
}

/** The API's rate-limit headers, with a remaining count that goes down per request. */
function rateLimitHeaders(index: number): Record<string, string> {
  const reset = new Date(Date.now() + 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    'request-id': `req_fake_${index}`,
    'anthropic-ratelimit-requests-limit': '4000',
    'anthropic-ratelimit-requests-remaining': String(3999 - index),
    'anthropic-ratelimit-requests-reset': reset,
    'anthropic-ratelimit-input-tokens-limit': '400000',
    'anthropic-ratelimit-input-tokens-remaining': '400000',
    'anthropic-ratelimit-input-tokens-reset': reset,
    'anthropic-ratelimit-output-tokens-limit': '80000',
    'anthropic-ratelimit-output-tokens-remaining': '80000',
    'anthropic-ratelimit-output-tokens-reset': reset,
  };
}

function writeError(res: ServerResponse, status: number, type: string, message: string, headers: Record<string, string>): void {
  const requestId = headers['request-id'] ?? 'req_fake_refused';
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ type: 'error', error: { type, message }, request_id: requestId }));
}

function usageOf(usage: FakeUsage): JsonObject {
  return {
    input_tokens: usage.input_tokens,
    output_tokens: usage.output_tokens,
    cache_creation_input_tokens: usage.cache_creation_input_tokens,
    cache_read_input_tokens: usage.cache_read_input_tokens,
    cache_creation: { ephemeral_5m_input_tokens: usage.cache_creation_input_tokens, ephemeral_1h_input_tokens: 0 },
    server_tool_use: null,
    service_tier: 'standard',
    inference_geo: 'global',
    output_tokens_details: null,
    speed: null,
  };
}

function messageShell(id: string, model: string): JsonObject {
  return {
    id,
    type: 'message',
    role: 'assistant',
    model,
    content: [],
    stop_reason: null,
    stop_sequence: null,
    stop_details: null,
    container: null,
    diagnostics: null,
  };
}

function contentJson(block: FakeContent): JsonObject {
  return block.type === 'text'
    ? { type: 'text', text: block.text, citations: null }
    : { type: 'tool_use', id: block.id, name: block.name, input: block.input, caller: { type: 'direct' } };
}

function fullMessage(id: string, model: string, r: Extract<FakeReply, { kind: 'message' }>): JsonObject {
  return {
    ...messageShell(id, model),
    content: r.content.map(contentJson),
    stop_reason: r.stopReason,
    usage: usageOf(r.usage),
  };
}

/** Words with their trailing space: a few deltas per sentence, like the API's. */
function textChunks(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

/** Partial JSON in pieces of at most 12 characters, so the SDK must join them. */
function jsonChunks(input: JsonObject): string[] {
  const json = JSON.stringify(input);
  const chunks: string[] = [];
  for (let i = 0; i < json.length; i += 12) chunks.push(json.slice(i, i + 12));
  return chunks;
}

class SseWriter {
  private readonly res: ServerResponse;
  private readonly delayMs: number;
  constructor(res: ServerResponse, delayMs: number) {
    this.res = res;
    this.delayMs = delayMs;
  }
  get closed(): boolean {
    return this.res.destroyed || this.res.writableEnded;
  }
  async send(event: string, data: JsonObject): Promise<void> {
    if (this.closed) return;
    this.res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
  }
}

function openStream(res: ServerResponse, headers: Record<string, string>): void {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...headers });
  res.flushHeaders();
}

async function writeStream(
  res: ServerResponse,
  id: string,
  model: string,
  r: Extract<FakeReply, { kind: 'message' }>,
  headers: Record<string, string>,
): Promise<void> {
  openStream(res, headers);
  const sse = new SseWriter(res, r.eventDelayMs ?? 0);
  // message_start carries the input side of usage and one output token, as the API's does.
  await sse.send('message_start', {
    type: 'message_start',
    message: { ...messageShell(id, model), usage: usageOf({ ...r.usage, output_tokens: 1 }) },
  });
  await sse.send('ping', { type: 'ping' });
  for (const [index, block] of r.content.entries()) {
    if (block.type === 'text') {
      await sse.send('content_block_start', {
        type: 'content_block_start',
        index,
        content_block: { type: 'text', text: '', citations: null },
      });
      for (const text of textChunks(block.text)) {
        await sse.send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text } });
      }
    } else {
      await sse.send('content_block_start', {
        type: 'content_block_start',
        index,
        content_block: { type: 'tool_use', id: block.id, name: block.name, input: {}, caller: { type: 'direct' } },
      });
      for (const partial_json of jsonChunks(block.input)) {
        await sse.send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json } });
      }
    }
    await sse.send('content_block_stop', { type: 'content_block_stop', index });
  }
  await sse.send('message_delta', {
    type: 'message_delta',
    delta: { stop_reason: r.stopReason, stop_sequence: null, stop_details: null, container: null },
    usage: {
      output_tokens: r.usage.output_tokens,
      input_tokens: r.usage.input_tokens,
      cache_creation_input_tokens: r.usage.cache_creation_input_tokens,
      cache_read_input_tokens: r.usage.cache_read_input_tokens,
      server_tool_use: null,
      output_tokens_details: null,
    },
  });
  await sse.send('message_stop', { type: 'message_stop' });
  if (!sse.closed) res.end();
}

async function writeStreamError(
  res: ServerResponse,
  r: Extract<FakeReply, { kind: 'stream_error' }>,
  model: string,
  headers: Record<string, string>,
): Promise<void> {
  openStream(res, headers);
  const sse = new SseWriter(res, 0);
  await sse.send('message_start', {
    type: 'message_start',
    message: { ...messageShell('msg_fake_broken', model), usage: usageOf({ ...DEFAULT_USAGE, output_tokens: 1 }) },
  });
  await sse.send('content_block_start', {
    type: 'content_block_start',
    index: 0,
    content_block: { type: 'text', text: '', citations: null },
  });
  for (const text of textChunks(r.textBefore)) {
    await sse.send('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } });
  }
  await sse.send('error', { type: 'error', error: { type: r.type, message: r.message } });
  res.end();
}
