import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A counting HTTP proxy in front of the AWS emulator: every request any client sends through it
 * (the API, the dispatcher, worker processes) is forwarded unchanged and counted by service action.
 * Counting at the emulator, not in one process's SDK, is what makes "calls per job" honest: a
 * worker's calls and a retry inside the SDK count as they would on an AWS bill.
 *
 * The action comes from what the SDK sends: `X-Amz-Target` (DynamoDB, SQS's JSON protocol, ECS,
 * Secrets Manager), an `Action=` form field (SQS's query protocol), or for S3 the method. A caller
 * may name itself with the SDK's app id (`AWS_SDK_UA_APP_ID`, sent in the User-Agent as `app/<id>`),
 * so the counts can be split by caller.
 */
export class CountingAwsProxy {
  private readonly target: URL;
  private server: Server | null = null;
  private counts = new Map<string, number>();

  constructor(emulatorUrl: string) {
    this.target = new URL(emulatorUrl);
  }

  async start(): Promise<string> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        this.count(req, body);
        const upstream = request(
          {
            host: this.target.hostname,
            port: this.target.port,
            method: req.method,
            path: req.url,
            headers: req.headers,
          },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        upstream.on('error', (error) => {
          res.writeHead(502, { 'content-type': 'text/plain' });
          res.end(String(error));
        });
        upstream.end(body);
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }

  /** Forgets every count so far (e.g. what provisioning sent). */
  reset(): void {
    this.counts = new Map();
  }

  /** Calls by `caller action` (caller `-` when it did not name itself), e.g. `worker DynamoDB.UpdateItem`. */
  snapshot(): Map<string, number> {
    return new Map(this.counts);
  }

  private count(req: IncomingMessage, body: Buffer): void {
    const caller = /\bapp\/(\S+)/.exec(String(req.headers['user-agent'] ?? ''))?.[1] ?? '-';
    const key = `${caller} ${actionOf(req, body)}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
}

const SERVICE_OF_TARGET: Record<string, string> = {
  DynamoDB_20120810: 'DynamoDB',
  AmazonSQS: 'SQS',
  AmazonEC2ContainerServiceV20141113: 'ECS',
  secretsmanager: 'SecretsManager',
};

/** `Service.Action` of one request. */
export function actionOf(req: IncomingMessage, body: Buffer): string {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') {
    const [prefix = '', action = target] = target.split('.');
    const service = SERVICE_OF_TARGET[prefix] ?? prefix;
    return service === 'DynamoDB' ? `${service}.${action}${tablesOf(body)}` : `${service}.${action}`;
  }
  const form = /(?:^|&)Action=([A-Za-z]+)/.exec(body.toString('utf8'));
  if (form) return `SQS.${form[1]}`;
  const s3 = { GET: 'GetObject', PUT: 'PutObject', DELETE: 'DeleteObject', HEAD: 'HeadObject', POST: 'PostObject' } as const;
  return `S3.${s3[req.method as keyof typeof s3] ?? req.method}`;
}

/**
 * The tables a DynamoDB request touches, by their role (the part after the last `-` of
 * `<prefix>-<random>-jobs`, `…-jobs-leases`: `jobs`, `leases`, `events`, `tenants`), e.g. ` (jobs+leases)`.
 */
function tablesOf(body: Buffer): string {
  const names = new Set<string>();
  for (const match of body.toString('utf8').matchAll(/"TableName":"([^"]+)"|"([^"]+)":\{"Keys"/g)) {
    const name = match[1] ?? match[2] ?? '';
    names.add(name.slice(name.lastIndexOf('-') + 1));
  }
  return names.size > 0 ? ` (${[...names].sort().join('+')})` : '';
}
