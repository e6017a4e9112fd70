import type { JsonValue } from '@agent-runner/shared/domain/job.ts';
import { ApiRefusedError, ApiUnreachableError, type ApiClient } from './api-client.ts';
import { readServerSentEvents, type StreamHints } from './sse-events.ts';

/** One job event as GET /jobs/{id}/events sends it. */
export interface JobEventData {
  seq: number;
  at: string;
  attempt: number;
  type: string;
  data: JsonValue;
}

export type FollowedItem =
  | { kind: 'event'; event: JobEventData }
  /** The stream's last word: the job is terminal (`status`), and every event it wrote was sent. */
  | { kind: 'end'; status: string | null }
  /** The connection dropped (or the server said its store failed); reconnecting after the last id seen. */
  | { kind: 'reconnecting'; lastEventId: string | null };

export interface FollowOptions {
  /**
   * true: follow the job until its stream ends, reconnecting with Last-Event-ID after a drop.
   * false: print what is there — stop at the end event or once the stream has been quiet for
   * `quietMs` (the server sends every stored event at once, then polls every 200 ms).
   */
  follow: boolean;
  /** Default 750 ms. */
  quietMs?: number;
  /** Resume after this event id. */
  lastEventId?: string | null;
  /** How long the API may stay unreachable while following before giving up. Default 30 000 ms. */
  unreachableForMs?: number;
}

/** The job's events in order, each once, across reconnections. */
export async function* followJobEvents(client: ApiClient, jobId: string, options: FollowOptions): AsyncGenerator<FollowedItem> {
  const quietMs = options.quietMs ?? 750;
  const unreachableForMs = options.unreachableForMs ?? 30_000;
  let lastEventId = options.lastEventId ?? null;
  // The server's `retry:` overrides this; the HTML standard leaves the default to the client.
  const hints: StreamHints = { retryMs: 1000 };
  let unreachableSince: number | null = null;

  for (;;) {
    const connection = new AbortController();
    let quietTimer: NodeJS.Timeout | undefined;
    let caughtUp = false;
    let interrupted = false;
    const armQuietTimer = () => {
      if (options.follow) return;
      clearTimeout(quietTimer);
      quietTimer = setTimeout(() => {
        caughtUp = true;
        connection.abort();
      }, quietMs);
    };
    try {
      const body = await client.openEvents(jobId, lastEventId, connection.signal);
      unreachableSince = null;
      armQuietTimer();
      for await (const sse of readServerSentEvents(body, hints)) {
        armQuietTimer();
        if (sse.event === 'end') {
          yield { kind: 'end', status: statusOf(sse.data) };
          return;
        }
        if (sse.event === 'error') {
          interrupted = true;
          break;
        }
        if (sse.id !== null) lastEventId = sse.id;
        yield { kind: 'event', event: eventOf(sse.event, sse.data) };
      }
      if (!options.follow) {
        if (interrupted) throw new ApiRefusedError(200, null, "the API could not read the job's events (its event stream was interrupted)");
        return;
      }
    } catch (error) {
      if (caughtUp) return;
      if (error instanceof ApiRefusedError || (!(error instanceof ApiUnreachableError) && !isDroppedConnection(error))) throw error;
      if (!options.follow)
        throw error instanceof ApiUnreachableError
          ? error
          : new ApiUnreachableError(`the event stream broke off: ${String(error)}`, { cause: error });
      unreachableSince ??= Date.now();
      if (Date.now() - unreachableSince > unreachableForMs) {
        throw error instanceof ApiUnreachableError
          ? error
          : new ApiUnreachableError('the event stream kept breaking off', { cause: error });
      }
    } finally {
      clearTimeout(quietTimer);
      connection.abort();
    }
    yield { kind: 'reconnecting', lastEventId };
    await new Promise((r) => setTimeout(r, hints.retryMs ?? 1000));
  }
}

function eventOf(type: string, data: string): JobEventData {
  try {
    const parsed = JSON.parse(data) as Partial<JobEventData>;
    if (typeof parsed.seq === 'number' && typeof parsed.type === 'string') return parsed as JobEventData;
  } catch {
    // not the documented shape: passed on as text below
  }
  return { seq: 0, at: '', attempt: 0, type, data };
}

function statusOf(data: string): string | null {
  try {
    const status = (JSON.parse(data) as { status?: unknown }).status;
    return typeof status === 'string' ? status : null;
  } catch {
    return null;
  }
}

/** A body read that failed because the connection went away (undici: TypeError `terminated`, or a socket error code). */
function isDroppedConnection(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return error.message === 'terminated' || typeof (error.cause as { code?: unknown } | undefined)?.code === 'string';
}
