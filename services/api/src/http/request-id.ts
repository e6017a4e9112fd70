import { randomUUID } from 'node:crypto';

/** A caller's id is kept only if it is a plain token: it goes into headers and logs verbatim. */
const ACCEPTABLE = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request's id: the caller's X-Request-Id when it is a plain token, else a fresh UUID. */
export function requestIdFrom(header: string): string {
  return ACCEPTABLE.test(header) ? header : randomUUID();
}
