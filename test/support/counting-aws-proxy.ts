import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A counting HTTP proxy in front of the AWS emulator: every request any client sends through it
 * (the API, the dispatcher, worker processes) is forwarded unchanged and counted by service action.
 * Counting at the emulator, not in one process's SDK, is what makes "calls per job" honest: a
 * worker's calls and a retry inside the SDK count as they would on an AWS bill.
 *
 * The action comes from what the SDK sends: `X-Amz-Target` (DynamoDB, SQS's JSON protocol, ECS,
 * Secrets Manager), an `Action=` form field (SQS's query protocol), or for S3 the method; DynamoDB's
 * is followed by the tables it touches, SQS's by the queue (the job queue's `normal` and the pool
 * queue's `pool` are different hand-offs). A caller
 * may name itself with the SDK's app id (`AWS_SDK_UA_APP_ID`, sent in the User-Agent as `app/<id>`),
 * so the counts can be split by caller.
 *
 * `SQS.ReceiveMessage` is counted when its answer comes back, as `SQS.ReceiveMessage (empty)` when
 * it brought no message: a pool worker takes each job with a receive of one message (a call on the
 * job's path), while its empty long polls are idling, shown apart. Counting a long poll only once it
 * ends also keeps one still waiting at a snapshot from being taken for a delivery.
 */
export class CountingAwsProxy {
  private readonly target: URL;
  private server: Server | null = null;
  private counts = new Map<string, number>();
  private pending = new Map<string, number>();

  constructor(emulatorUrl: string) {
    this.target = new URL(emulatorUrl);
  }

  async start(): Promise<string> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const key = this.keyOf(req, body);
        const isReceive = / SQS\.ReceiveMessage( \(|$)/.test(key);
        if (!isReceive) this.add(this.counts, key, 1);
        this.add(this.pending, key, 1);
        let open = true;
        const answered = () => {
          if (open) this.add(this.pending, key, -1);
          open = false;
        };
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
            const returned: Buffer[] = [];
            if (isReceive) answer.on('data', (c: Buffer) => returned.push(c));
            answer.on('end', () => {
              answered();
              if (isReceive) this.add(this.counts, deliveredMessages(Buffer.concat(returned)) ? key : emptyReceive(key), 1);
            });
            answer.pipe(res);
          },
        );
        upstream.on('error', (error) => {
          // A receive that failed brought nothing: an empty poll, as far as a job's path goes.
          if (isReceive && open) this.add(this.counts, emptyReceive(key), 1);
          answered();
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

  /** Requests sent on and not yet answered, by `caller action`: e.g. long polls under way, to know a poller is up. */
  inFlight(): Map<string, number> {
    return new Map([...this.pending].filter(([, n]) => n > 0));
  }

  private keyOf(req: IncomingMessage, body: Buffer): string {
    const caller = /\bapp\/(\S+)/.exec(String(req.headers['user-agent'] ?? ''))?.[1] ?? '-';
    return `${caller} ${actionOf(req, body)}`;
  }

  private add(counts: Map<string, number>, key: string, n: number): void {
    counts.set(key, (counts.get(key) ?? 0) + n);
  }
}

/** `… SQS.ReceiveMessage (pool)` → `… SQS.ReceiveMessage (pool, empty)`. */
const emptyReceive = (key: string) => (key.endsWith(')') ? `${key.slice(0, -1)}, empty)` : `${key} (empty)`);

/** Whether a ReceiveMessage answer carries a message: JSON protocol `"Messages":[{…}]`, query protocol `<Message>`. */
function deliveredMessages(answer: Buffer): boolean {
  const text = answer.toString('utf8');
  return /"Messages"\s*:\s*\[\s*\{/.test(text) || text.includes('<Message>');
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
    if (service === 'DynamoDB') return `${service}.${action}${tablesOf(body)}`;
    return service === 'SQS' ? `${service}.${action}${queueOf(body)}` : `${service}.${action}`;
  }
  const form = /(?:^|&)Action=([A-Za-z]+)/.exec(body.toString('utf8'));
  if (form) return `SQS.${form[1]}${queueOf(body)}`;
  const s3 = { GET: 'GetObject', PUT: 'PutObject', DELETE: 'DeleteObject', HEAD: 'HeadObject', POST: 'PostObject' } as const;
  return `S3.${s3[req.method as keyof typeof s3] ?? req.method}`;
}

/**
 * The queue an SQS request names, by its role (the part after the last `-` of `<prefix>-<random>-normal`,
 * `…-pool`, without `.fifo`), e.g. ` (pool)`; `` when it names none (ListQueues).
 */
function queueOf(body: Buffer): string {
  const text = body.toString('utf8');
  const json = /"QueueUrl"\s*:\s*"([^"]+)"/.exec(text)?.[1];
  const form = /(?:^|&)QueueUrl=([^&]+)/.exec(text)?.[1];
  const url = json ?? (form ? decodeURIComponent(form) : '');
  const name = url.slice(url.lastIndexOf('/') + 1).replace(/\.fifo$/, '');
  return name ? ` (${name.slice(name.lastIndexOf('-') + 1)})` : '';
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
