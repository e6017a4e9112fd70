import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { NonPublicAddressError } from './net-errors.ts';
import { nonPublicRangeOf } from './public-address.ts';

/** Every address a host name resolves to. Tests pass their own to make a name resolve where they need. */
export type ResolveHost = (host: string) => Promise<LookupAddress[]>;

export const resolveWithSystem: ResolveHost = (host) => dnsLookup(host, { all: true, order: 'verbatim' });

export interface PublicLookupOptions {
  /** Accept non-public addresses too (local development, tests). */
  allowPrivate: boolean;
  resolve?: ResolveHost;
}

/**
 * The addresses `host` resolves to (an IP literal: itself), refused with NonPublicAddressError when
 * any of them is not public. Any, not all: a name that answers with one public and one private
 * address is a rebinding attempt or a misconfiguration, either way not a destination.
 */
export async function resolvePublicAddresses(host: string, options: PublicLookupOptions): Promise<LookupAddress[]> {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  const family = isIP(bare);
  const addresses = family === 0 ? await (options.resolve ?? resolveWithSystem)(bare) : [{ address: bare, family }];
  if (addresses.length === 0) throw Object.assign(new Error(`${bare} resolves to no address`), { code: 'ENOTFOUND' });
  if (!options.allowPrivate) {
    for (const { address } of addresses) {
      const range = nonPublicRangeOf(address);
      if (range !== null) throw new NonPublicAddressError(bare, address, range);
    }
  }
  return addresses;
}

/**
 * A `lookup` for net.connect / http.request that resolves through resolvePublicAddresses. The socket
 * connects to the address this returns, so the address checked is the address connected to: no
 * second resolution a rebinding DNS server could answer differently.
 */
export function publicLookup(options: PublicLookupOptions): LookupFunction {
  return (hostname: string, lookupOptions: LookupOptions, callback) => {
    resolvePublicAddresses(hostname, options).then(
      (resolved) => {
        const wanted = lookupOptions.family === 4 || lookupOptions.family === 6 ? lookupOptions.family : 0;
        const addresses = wanted === 0 ? resolved : resolved.filter((a) => a.family === wanted);
        const first = addresses[0];
        if (first === undefined) {
          callback(Object.assign(new Error(`${hostname} has no IPv${wanted} address`), { code: 'ENOTFOUND' }), '', 0);
        } else if (lookupOptions.all) {
          callback(null, addresses);
        } else {
          callback(null, first.address, first.family);
        }
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}
