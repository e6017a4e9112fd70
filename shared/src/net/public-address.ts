import { BlockList, isIP } from 'node:net';

/**
 * Whether an IP address is on the public internet: the guard against server-side request forgery
 * (a URL a job or tenant supplies must not reach the loopback interface, the private network or the
 * cloud metadata service at 169.254.169.254). Ranges from the IANA special-purpose address
 * registries (RFC 6890 and successors); "globally reachable" blocks among them (AS112, AMT) stay public.
 */

/** Why an address is not public: the name of the special-purpose range it falls in. */
export type NonPublicRange =
  | 'not an IP address'
  | 'unspecified'
  | 'this network'
  | 'loopback'
  | 'private'
  | 'shared address space (CGNAT)'
  | 'link-local'
  | 'IETF protocol assignments'
  | 'documentation'
  | 'benchmarking'
  | '6to4'
  | 'multicast'
  | 'reserved'
  | 'discard-only'
  | 'unique-local'
  | 'site-local'
  | 'NAT64 local use'
  | 'SRv6 segment identifiers';

type Range = readonly [network: string, prefix: number, name: NonPublicRange];

const IPV4_RANGES: readonly Range[] = [
  ['0.0.0.0', 8, 'this network'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared address space (CGNAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, '6to4'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  // 240/4 includes the limited broadcast address 255.255.255.255.
  ['240.0.0.0', 4, 'reserved'],
];

/** Checked in order, the first match wins: the narrow blocks come before the wide ones holding them. */
const IPV6_RANGES: readonly Range[] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  // Deprecated IPv4-compatible addresses (RFC 4291 §2.5.5.1).
  ['::', 96, 'reserved'],
  ['64:ff9b:1::', 48, 'NAT64 local use'],
  ['100::', 64, 'discard-only'],
  // Teredo (2001::/32) and the rest of the block: tunnels and protocol anycast, not destinations.
  ['2001::', 23, 'IETF protocol assignments'],
  ['2001:db8::', 32, 'documentation'],
  ['2002::', 16, '6to4'],
  ['3fff::', 20, 'documentation'],
  ['5f00::', 16, 'SRv6 segment identifiers'],
  ['fc00::', 7, 'unique-local'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
];

function blockListsOf(ranges: readonly Range[], family: 'ipv4' | 'ipv6') {
  return ranges.map(([network, prefix, name]) => {
    const list = new BlockList();
    list.addSubnet(network, prefix, family);
    return { list, name };
  });
}

const V4 = blockListsOf(IPV4_RANGES, 'ipv4');
const V6 = blockListsOf(IPV6_RANGES, 'ipv6');
/** Global unicast: every public IPv6 address is in it; anything outside is unassigned or special. */
const GLOBAL_UNICAST = new BlockList();
GLOBAL_UNICAST.addSubnet('2000::', 3, 'ipv6');
/**
 * IPv6 forms that carry an IPv4 address the packets end up at: IPv4-mapped (::ffff:0:0/96, what a
 * dual-stack socket shows for IPv4) and the well-known NAT64 prefix (64:ff9b::/96, RFC 6052). They
 * are as public as the IPv4 address inside.
 */
const EMBEDS_IPV4 = new BlockList();
EMBEDS_IPV4.addSubnet('::ffff:0:0', 96, 'ipv6');
EMBEDS_IPV4.addSubnet('64:ff9b::', 96, 'ipv6');

/** The range that makes `address` non-public, or null when it is public. Anything not an IP is not public. */
export function nonPublicRangeOf(address: string): NonPublicRange | null {
  // A zone index (fe80::1%eth0) names an interface; only link-local addresses carry one.
  const ip = address.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  const family = isIP(ip);
  if (family === 4) return V4.find(({ list }) => list.check(ip, 'ipv4'))?.name ?? null;
  if (family !== 6) return 'not an IP address';
  if (EMBEDS_IPV4.check(ip, 'ipv6')) return nonPublicRangeOf(lastFourBytes(ip));
  const special = V6.find(({ list }) => list.check(ip, 'ipv6'));
  if (special) return special.name;
  return GLOBAL_UNICAST.check(ip, 'ipv6') ? null : 'reserved';
}

export function isPublicAddress(address: string): boolean {
  return nonPublicRangeOf(address) === null;
}

/** The IPv4 address in the low 32 bits of an IPv6 address (`::ffff:7f00:1` or `::ffff:127.0.0.1`). */
function lastFourBytes(ipv6: string): string {
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(ipv6);
  if (dotted) return dotted[1] as string;
  const groups = ipv6.split(':');
  const low = Number.parseInt(groups.at(-1) || '0', 16);
  const high = Number.parseInt(groups.at(-2) || '0', 16);
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}
