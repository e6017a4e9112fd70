import type { Context } from 'koa';
import { ValidationError } from '@agent-runner/shared/domain/errors.ts';

/**
 * JSON.parse copes with any nesting, but JSON.stringify and schema checks recurse and overflow the
 * stack at a few thousand levels: 64 is far beyond any real payload and far below that.
 */
const MAX_NESTING = 64;

/**
 * Reads the request body as JSON, refusing media types other than `application/json` (and curl's
 * default, see below) with 415, a body larger
 * than `limitBytes` (413: by Content-Length before reading, or as soon as a chunked body passes the
 * limit; never buffering more than the limit), and bytes that are not UTF-8 JSON (400).
 */
export async function readJsonBody(ctx: Context, limitBytes: number): Promise<unknown> {
  // Media types are case-insensitive (RFC 9110 §8.3.1); koa gives the header's text before any `;`.
  const mediaType = ctx.request.type.trim().toLowerCase();
  // `curl -d '{…}'` without -H labels its body application/x-www-form-urlencoded. That is how the
  // README's first example and most people's first try look, so such a body is read as JSON too —
  // and refused as invalid JSON if it is a real form. Every other media type is a 415.
  if (mediaType !== 'application/json' && mediaType !== 'application/x-www-form-urlencoded') {
    closeAfterAnswer(ctx);
    throw new ValidationError(`Content-Type must be application/json, got "${ctx.get('Content-Type') || '(none)'}"`, {
      status: 415,
      problem: 'unsupported-media-type',
    });
  }
  const charset = ctx.request.charset;
  if (charset && charset.toLowerCase() !== 'utf-8') {
    // RFC 8259 §8.1: JSON exchanged between systems must be UTF-8.
    closeAfterAnswer(ctx);
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
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    const reason = body.trim() === '' ? 'the request body is empty' : (error as Error).message;
    throw new ValidationError(`the request body is not valid JSON: ${reason}`, { problem: 'invalid-json' });
  }
  if (nestingOf(value) > MAX_NESTING) {
    throw new ValidationError(`the request body nests deeper than ${MAX_NESTING} levels`, { problem: 'invalid-json' });
  }
  return value;
}

/**
 * A body refused before it was read in full stays unread. Node would read and discard the rest to
 * reuse the connection, however large it is; closing the connection after the answer costs less.
 */
function closeAfterAnswer(ctx: Context): void {
  ctx.set('Connection', 'close');
}

function tooLarge(ctx: Context, limitBytes: number): ValidationError {
  closeAfterAnswer(ctx);
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
        // Not req.destroy(): that would take the socket, and the 413 with it.
        req.pause();
        finish(tooLarge(ctx, limitBytes));
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

/** The deepest array/object nesting in `value`, counted without recursion. */
function nestingOf(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (typeof item !== 'object' || item === null) continue;
    const level = depth + 1;
    if (level > deepest) deepest = level;
    if (level > MAX_NESTING) return level;
    for (const child of Array.isArray(item) ? item : Object.values(item)) stack.push([child, level]);
  }
  return deepest;
}
