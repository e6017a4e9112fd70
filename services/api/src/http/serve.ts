import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';

export interface Serving {
  /** `http://host:port`, with the port actually bound (the config may ask for 0). */
  url: string;
  /**
   * Stops accepting connections and lets requests in progress finish; after `drainMs` the
   * connections left are cut. Event streams never finish by themselves, so they are cut at once.
   */
  close(): Promise<void>;
}

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

export interface ServeOptions {
  /** Stop waiting for connections in progress this long after close() (then cut them). */
  drainMs: number;
  /** A client must have sent its headers within this long of starting a request (408 after). */
  headersTimeoutMs: number;
  /** …and its whole request, body included, within this long. */
  requestTimeoutMs: number;
  /** Answers a request Node's parser refused (malformed, headers too large, too slow). */
  onClientError?: (error: Error & { code?: string }, socket: Duplex) => void;
}

export async function serve(listener: RequestListener, host: string, port: number, options: ServeOptions): Promise<Serving> {
  const { drainMs } = options;
  // Slow clients (slowloris) each hold a socket but no event-loop time; the timeouts bound how long.
  // Node checks them every connectionsCheckingInterval (default 30 s, far too coarse for a 10 s limit).
  const server = createServer(
    {
      headersTimeout: options.headersTimeoutMs,
      requestTimeout: options.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, options.headersTimeoutMs / 2),
    },
    listener,
  );
  if (options.onClientError) server.on('clientError', options.onClientError);
  const open = new Set<ServerResponse>();
  let closing: Promise<void> | null = null;
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    open.add(res);
    res.once('close', () => open.delete(res));
    // A keep-alive connection whose last request ends after close() began would otherwise idle
    // until the client drops it (seconds), holding close() up.
    res.once('finish', () => {
      if (closing) setImmediate(() => server.closeIdleConnections());
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port: bound } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;

  return {
    url,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        const cut = setTimeout(() => server.closeAllConnections(), drainMs);
        server.close((error) => {
          clearTimeout(cut);
          if (error) reject(error);
          else resolve();
        });
        server.closeIdleConnections();
        for (const res of open) {
          if (!res.headersSent) res.setHeader('Connection', 'close');
          else if (String(res.getHeader('Content-Type') ?? '').startsWith('text/event-stream')) res.destroy();
        }
      });
      return closing;
    },
  };
}
