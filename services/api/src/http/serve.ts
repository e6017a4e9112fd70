import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
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

export async function serve(listener: RequestListener, host: string, port: number, drainMs: number): Promise<Serving> {
  const server = createServer(listener);
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
