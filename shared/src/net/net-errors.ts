import type { NonPublicRange } from './public-address.ts';

/** A host resolved to (or is) an address outside the public internet, and nothing was connected. */
export class NonPublicAddressError extends Error {
  readonly host: string;
  readonly address: string;
  readonly range: NonPublicRange;
  constructor(host: string, address: string, range: NonPublicRange) {
    super(
      host === address
        ? `${address} is not a public address (${range})`
        : `${host} resolves to ${address}, not a public address (${range})`,
    );
    this.name = 'NonPublicAddressError';
    this.host = host;
    this.address = address;
    this.range = range;
  }
}

/** No complete response (headers and the part of the body read) within the request's time limit. */
export class RequestTimeoutError extends Error {
  readonly timeoutMs: number;
  constructor(host: string, timeoutMs: number) {
    super(`no complete response from ${host} within ${timeoutMs / 1000} s`);
    this.name = 'RequestTimeoutError';
    this.timeoutMs = timeoutMs;
  }
}
