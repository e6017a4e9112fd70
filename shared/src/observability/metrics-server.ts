import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { metricsHandler } from './metrics-handler.ts';

export interface MetricsServer {
  /** `http://host:port` with the port actually bound. */
  url: string;
  close(): Promise<void>;
}

/**
 * A small HTTP server for a service with no API of its own (the dispatcher): GET /metrics for
 * Prometheus and GET /healthz for a container health check; 404 for anything else.
 */
export async function startMetricsServer(registry: Registry, listen: { host: string; port: number }): Promise<MetricsServer> {
  const metrics = metricsHandler(registry);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') return metrics.node(req, res);
    if (path === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      }),
  };
}
