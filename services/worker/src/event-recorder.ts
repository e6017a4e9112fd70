import type { Clock } from '@agent-runner/shared/domain/ids.ts';
import type { JsonObject, JsonValue } from '@agent-runner/shared/domain/job.ts';
import type { JobEventLog, NewJobEvent } from '@agent-runner/shared/ports/job-events.ts';
import type { HandlerEvent } from './handlers/job-handler.ts';

/**
 * Buffers a handler's live events and writes them in batches every `flushMs`, so a model streaming
 * hundreds of tokens a second costs a few writes a second. Consecutive text deltas are merged into
 * one event: a reader reassembles the same text either way.
 */
export class EventRecorder {
  private readonly log: JobEventLog;
  private readonly jobId: string;
  private readonly attempt: number;
  private readonly clock: Clock;
  private readonly onError: (error: unknown) => void;
  private nextSeq: number;
  private buffer: NewJobEvent[] = [];
  private flushing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  /** Batches written: exposed for tests and the write-rate budget. */
  writes = 0;

  constructor(opts: {
    log: JobEventLog;
    jobId: string;
    attempt: number;
    lastSeq: number;
    clock: Clock;
    flushMs: number;
    onError: (error: unknown) => void;
  }) {
    this.log = opts.log;
    this.jobId = opts.jobId;
    this.attempt = opts.attempt;
    this.clock = opts.clock;
    this.onError = opts.onError;
    this.nextSeq = opts.lastSeq + 1;
    this.timer = setInterval(() => void this.flush(), opts.flushMs);
  }

  emit(event: HandlerEvent): void {
    const last = this.buffer.at(-1);
    if (last && mergeableTextDeltas(last.data, event) && last.type === 'text_delta') {
      const prev = last.data as JsonObject;
      last.data = { ...prev, text: String(prev.text) + String((event.data as JsonObject).text) };
      return;
    }
    this.buffer.push({ at: this.clock.now().toISOString(), attempt: this.attempt, type: event.type, data: event.data });
  }

  /** Writes what is buffered. Batches are written one after another, in order. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.buffer.length === 0) return;
      const batch = this.buffer;
      this.buffer = [];
      const first = this.nextSeq;
      this.nextSeq += batch.length;
      try {
        await this.log.append(this.jobId, first, batch);
        this.writes++;
      } catch (error) {
        this.onError(error);
      }
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }
}

function mergeableTextDeltas(previous: JsonValue, next: HandlerEvent): boolean {
  if (next.type !== 'text_delta') return false;
  if (!isObject(previous) || !isObject(next.data)) return false;
  if (typeof previous.text !== 'string' || typeof next.data.text !== 'string') return false;
  const { text: _a, ...restPrev } = previous;
  const { text: _b, ...restNext } = next.data;
  return JSON.stringify(restPrev) === JSON.stringify(restNext);
}

function isObject(value: JsonValue): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
