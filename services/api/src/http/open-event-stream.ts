import { PassThrough } from 'node:stream';
import type { Context } from 'koa';

export interface OpenEventStream {
  stream: PassThrough;
  /** True once the client has gone: the pump stops writing. */
  isClosed(): boolean;
}

/**
 * Answers `ctx` with a Server-Sent Events stream: no socket timeout (streams outlive any request
 * timeout), no Nagle delay, no caching or proxy buffering, and a 1 s reconnect hint.
 */
export function openEventStream(ctx: Context): OpenEventStream {
  const stream = new PassThrough();
  ctx.req.socket.setTimeout(0);
  ctx.req.socket.setNoDelay(true);
  ctx.status = 200;
  ctx.set({ 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache, no-transform', 'X-Accel-Buffering': 'no' });
  ctx.body = stream;
  let closed = false;
  ctx.req.once('close', () => {
    closed = true;
  });
  stream.write('retry: 1000\n\n');
  return { stream, isClosed: () => closed };
}
