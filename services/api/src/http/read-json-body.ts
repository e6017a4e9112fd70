import type { Context } from 'koa';
import { ValidationError } from '@agent-runner/shared/domain/errors.ts';

/**
 * JSON.parse copes with any nesting, but JSON.stringify and schema checks recurse and overflow the
 * stack at a few thousand levels: 64 is far beyond any real payload and far below that.
 */
const MAX_NESTING = 64;
/**
 * Building an object with many members is slow in V8 (JSON.parse of one object with 100,000 keys
 * blocks the event loop for 0.2–0.7 s, and every walk over it as long again). No payload needs more
 * than a few dozen per object; 1,000 is far beyond that. Arrays are cheap and not limited.
 */
const MAX_OBJECT_MEMBERS = 1000;

/**
 * A refused body is still read (and thrown away) up to this many bytes, so a client that sends all
 * of it before reading the answer — Python's urllib and requests do — gets its 413 instead of a
 * broken pipe. Beyond this the connection is cut after the answer: the bandwidth is not worth it.
 * AGENT_RUNNER_REQUEST_TIMEOUT_SECONDS bounds the time a drain takes.
 */
export const MAX_DRAIN_BYTES = 64 * 1024 * 1024;

/**
 * Reads the request body as JSON, refusing media types other than `application/json` with 415, a
 * body larger than `limitBytes` (413: by Content-Length before reading, or as soon as a chunked body
 * passes the limit; never buffering more than the limit), and bytes that are not UTF-8 JSON (400).
 */
export async function readJsonBody(ctx: Context, limitBytes: number): Promise<unknown> {
  // Media types are case-insensitive (RFC 9110 §8.3.1); koa gives the header's text before any `;`.
  const mediaType = ctx.request.type.trim().toLowerCase();
  // Only JSON: a browser sends form-encoded, multipart and text/plain bodies cross-site without
  // asking (a CORS "simple request"), so a web page could post jobs; a JSON body needs a preflight,
  // which this API never grants. (`curl -d` without `-H 'content-type: application/json'` is a 415.)
  if (mediaType !== 'application/json') {
    discardBody(ctx);
    throw new ValidationError(`Content-Type must be application/json, got "${ctx.get('Content-Type') || '(none)'}"`, {
      status: 415,
      problem: 'unsupported-media-type',
    });
  }
  const charset = ctx.request.charset;
  if (charset && charset.toLowerCase() !== 'utf-8') {
    // RFC 8259 §8.1: JSON exchanged between systems must be UTF-8.
    discardBody(ctx);
    throw new ValidationError(`JSON must be UTF-8, got charset "${charset}"`, { status: 415, problem: 'unsupported-media-type' });
  }
  const text = new TextDecoder('utf-8', { fatal: true });
  let body: string;
  try {
    body = text.decode(await readAtMost(ctx, limitBytes));
  } catch (error) {
    if (error instanceof TypeError) throw new ValidationError('the request body is not valid UTF-8', { problem: 'invalid-json' });
    throw error;
  }
  const shapeProblem = shapeProblemOf(body);
  if (shapeProblem) throw new ValidationError(`the request body ${shapeProblem}`, { problem: 'invalid-json' });
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    const reason = body.trim() === '' ? 'the request body is empty' : (error as Error).message;
    throw new ValidationError(`the request body is not valid JSON: ${reason}`, { problem: 'invalid-json' });
  }
  return value;
}

/**
 * A body refused before it was read in full is read on and thrown away while the answer goes out,
 * up to MAX_DRAIN_BYTES in all; the connection then stays usable. Closing at once instead would
 * reset it under a client still writing, which then never reads the answer.
 */
function discardBody(ctx: Context, alreadyRead = 0): void {
  const req = ctx.req;
  const declared = ctx.request.length;
  if (req.complete) return;
  if (declared !== undefined && declared > MAX_DRAIN_BYTES) {
    ctx.set('Connection', 'close');
    return;
  }
  let discarded = alreadyRead;
  const onData = (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > MAX_DRAIN_BYTES) {
      req.off('data', onData);
      // The answer has gone out (or goes out now): this only stops the rest of a huge chunked body.
      req.socket.destroySoon();
    }
  };
  req.on('data', onData);
  req.resume();
}

function tooLarge(ctx: Context, limitBytes: number, alreadyRead = 0): ValidationError {
  discardBody(ctx, alreadyRead);
  return new ValidationError(`the request body is larger than ${limitBytes} bytes`, { status: 413, problem: 'payload-too-large' });
}

function readAtMost(ctx: Context, limitBytes: number): Promise<Buffer> {
  const declared = ctx.request.length;
  if (declared !== undefined && declared > limitBytes) return Promise.reject(tooLarge(ctx, limitBytes));
  const req = ctx.req;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (error: unknown, value?: Buffer) => {
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      if (error) reject(error);
      else resolve(value ?? Buffer.alloc(0));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        finish(tooLarge(ctx, limitBytes, size));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => finish(null, Buffer.concat(chunks, size));
    // A client that hangs up mid-body (`error` ECONNRESET, or `close` before `end`) hears nothing
    // back; a 4xx keeps it out of the error log.
    const onClose = () => finish(new ValidationError('the client closed the connection mid-body', { problem: 'request-aborted' }));
    const onError = onClose;
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

/**
 * Checks the JSON text, before it is parsed, for nesting deeper than MAX_NESTING and objects with
 * more than MAX_OBJECT_MEMBERS members: one pass over the characters (a few ms per MB), so such a
 * body costs no parse. Text that is not JSON at all is left for JSON.parse to describe.
 */
function shapeProblemOf(text: string): string | null {
  // Per open container: its member count so far for an object, -1 for an array.
  const open: number[] = [];
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      open.push(c === 0x7b ? 1 : -1);
      if (open.length > MAX_NESTING) return `nests deeper than ${MAX_NESTING} levels`;
    } else if (c === 0x7d || c === 0x5d) open.pop();
    else if (c === 0x2c && open.length > 0 && open[open.length - 1]! > 0) {
      const members = ++open[open.length - 1]!;
      if (members > MAX_OBJECT_MEMBERS) return `has an object with more than ${MAX_OBJECT_MEMBERS} members`;
    }
  }
  return null;
}
