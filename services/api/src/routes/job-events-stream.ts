import type { PassThrough } from 'node:stream';
import type { Context } from 'koa';
import { openEventStream } from '../http/open-event-stream.ts';
import { NotFoundError, ValidationError } from '@agent-runner/shared/domain/errors.ts';
import { isTerminal } from '@agent-runner/shared/domain/job-status.ts';
import type { Job } from '@agent-runner/shared/domain/job.ts';
import type { JobEvent, JobEventLog } from '@agent-runner/shared/ports/job-events.ts';
import type { JobStore } from '@agent-runner/shared/ports/job-store.ts';

/** How often a connected client's job is checked for new events. */
const POLL_MS = 200;
/** A comment line this often keeps proxies from closing an idle stream. */
const KEEPALIVE_MS = 15_000;
const PAGE = 500;

export interface EventStreamDeps {
  jobs: JobStore;
  events: JobEventLog;
  /** Throws NotFoundError for a job the caller may not see (another tenant's). */
  visible?: (job: Job) => void;
}

/**
 * GET /jobs/{id}/events — the job's live events as Server-Sent Events. Each event's `id` is its
 * sequence number, so a client that reconnects with `Last-Event-ID` (or `?after=`) continues with
 * the next one: no gaps, no duplicates. The stream ends with an `end` event carrying the job's
 * terminal status, sent only after every event the worker wrote (it flushes before it records the
 * outcome) has been delivered.
 */
export async function streamJobEvents(ctx: Context, deps: EventStreamDeps, jobId: string): Promise<void> {
  const after = resumePoint(ctx);
  const job = await deps.jobs.get(jobId);
  if (!job) throw new NotFoundError(`job ${jobId} not found`);
  deps.visible?.(job);

  const { stream, isClosed } = openEventStream(ctx);
  void pump(stream, deps, jobId, after, isClosed).finally(() => stream.end());
}

async function pump(stream: PassThrough, deps: EventStreamDeps, jobId: string, start: number, isClosed: () => boolean): Promise<void> {
  let cursor = start;
  let lastWrite = Date.now();
  const send = (events: JobEvent[]) => {
    for (const e of events) {
      stream.write(
        `id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify({ seq: e.seq, at: e.at, attempt: e.attempt, type: e.type, data: e.data })}\n\n`,
      );
      cursor = e.seq;
      lastWrite = Date.now();
    }
  };
  try {
    while (!isClosed()) {
      const events = await deps.events.read(jobId, cursor, PAGE);
      send(events);
      if (events.length === PAGE) continue;
      const job = await deps.jobs.get(jobId);
      if (!job || isTerminal(job.status)) {
        // Whatever was written before the terminal state is readable now.
        for (let more = await deps.events.read(jobId, cursor, PAGE); more.length > 0; more = await deps.events.read(jobId, cursor, PAGE))
          send(more);
        stream.write(`event: end\ndata: ${JSON.stringify({ status: job?.status ?? null })}\n\n`);
        return;
      }
      if (Date.now() - lastWrite > KEEPALIVE_MS) {
        stream.write(': keep-alive\n\n');
        lastWrite = Date.now();
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  } catch {
    // The store failed mid-stream: say so and end; the client reconnects with Last-Event-ID.
    stream.write(`event: error\ndata: ${JSON.stringify({ message: 'event stream interrupted' })}\n\n`);
  }
}

/** Sequence numbers as a client sends them back: digits only (no sign, exponent or blank). */
const SEQUENCE = /^\d{1,15}$/;

/** Where to resume: Last-Event-ID (what EventSource sends) over `?after=`; 0 when neither is given. */
function resumePoint(ctx: Context): number {
  // Present but empty is a bad id too, not an absent one.
  const header = ctx.headers['last-event-id'];
  const after = ctx.query.after;
  if (after !== undefined && (typeof after !== 'string' || !SEQUENCE.test(after))) {
    throw new ValidationError(`after must be a non-negative integer, got "${String(after)}"`, {
      problem: 'bad-event-id',
      errors: [{ path: 'after', message: 'digits only' }],
    });
  }
  if (header !== undefined && (typeof header !== 'string' || !SEQUENCE.test(header))) {
    throw new ValidationError(`Last-Event-ID must be a non-negative integer, got "${header}"`, {
      problem: 'bad-event-id',
      errors: [{ path: 'Last-Event-ID', message: 'digits only' }],
    });
  }
  return Number(header ?? after ?? '0');
}
