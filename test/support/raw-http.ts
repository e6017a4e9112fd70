import { connect, type Socket } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A plain TCP connection to `url`'s host and port, for requests fetch will not send as written. */
export function openRawConnection(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(port) }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/**
 * Reads one HTTP/1.1 response (with a Content-Length) from `socket`, leaving the connection open;
 * rejects if the connection ends or fails first, or after `timeoutMs`.
 */
export function readRawResponse(socket: Socket, timeoutMs = 10_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const done = (error: Error | null, response?: RawResponse) => {
      clearTimeout(timer);
      socket.off('data', onData).off('end', onEnd).off('error', onError);
      if (error) reject(error);
      else resolve(response!);
    };
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [statusLine, ...lines] = buffered.subarray(0, end).toString('latin1').split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const length = Number(headers['content-length'] ?? 0);
      if (buffered.length < end + 4 + length) return;
      const body = buffered.subarray(end + 4, end + 4 + length).toString('utf8');
      done(null, { status: Number(statusLine?.split(' ')[1]), headers, body });
    };
    const onEnd = () =>
      done(new Error(`the connection ended before a whole response: ${JSON.stringify(buffered.toString('latin1').slice(0, 200))}`));
    const onError = (error: Error) => done(error);
    const timer = setTimeout(() => done(new Error(`no whole response within ${timeoutMs} ms`)), timeoutMs);
    socket.on('data', onData).on('end', onEnd).on('error', onError);
  });
}

/** Writes `data` and resolves once it is handed to the kernel (so a reset shows up as an error). */
export function writeAll(socket: Socket, data: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => socket.write(data, (error) => (error ? reject(error) : resolve())));
}
