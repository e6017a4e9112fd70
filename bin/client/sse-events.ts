/** One Server-Sent Event as the HTML standard's parser dispatches it. */
export interface ServerSentEvent {
  /** The `id:` field, when the event set one. */
  id: string | null;
  /** The `event:` field; `message` when absent. */
  event: string;
  /** The `data:` lines joined with newlines. */
  data: string;
}

/** What a stream said besides events: the reconnection delay it asks for (`retry:`). */
export interface StreamHints {
  retryMs: number | null;
}

/**
 * Parses a `text/event-stream` body (HTML Living Standard, "Interpreting an event stream"): lines
 * end in LF, CR or CRLF and may arrive split across chunks; `:` lines are comments (keep-alives);
 * a blank line dispatches the event being built; an event with no data is dropped.
 */
export async function* readServerSentEvents(
  body: ReadableStream<Uint8Array>,
  hints: StreamHints = { retryMs: null },
): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  let id: string | null = null;
  let event = '';
  let data: string[] = [];
  // A chunk ending in CR may be the first half of CRLF: the LF that follows must not end a second line.
  let skipLeadingLf = false;

  const takeLine = (line: string): ServerSentEvent | null => {
    if (line === '') {
      const dispatched = data.length > 0 ? { id, event: event || 'message', data: data.join('\n') } : null;
      event = '';
      data = [];
      return dispatched;
    }
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
    else if (field === 'id' && !value.includes('\0')) id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) hints.retryMs = Number(value);
    return null;
  };

  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    if (skipLeadingLf && buffer.startsWith('\n')) buffer = buffer.slice(1);
    skipLeadingLf = false;
    for (let end = buffer.search(/[\r\n]/); end !== -1; end = buffer.search(/[\r\n]/)) {
      const line = buffer.slice(0, end);
      let rest = buffer.slice(end + 1);
      if (buffer[end] === '\r') {
        if (rest.startsWith('\n')) rest = rest.slice(1);
        else if (rest === '') skipLeadingLf = true;
      }
      buffer = rest;
      const dispatched = takeLine(line);
      if (dispatched) yield dispatched;
    }
  }
  // An event not followed by a blank line before the stream ended is not dispatched (per the standard).
}
