import { isIPv4, isIPv6 } from 'node:net';

/**
 * One IPv6 customer is routed a whole /64 at least (RFC 6177, RIPE-690: usually a /56 or /48), and
 * picks any address in it at will (privacy addresses, RFC 8981). Counting IPv6 by full address
 * would give such a client 2^64 fresh allowances. /64 is the smallest block a subscriber gets, so
 * it never merges two customers of one provider; wider prefixes are the operator's choice.
 */
export const DEFAULT_IPV6_PREFIX_LENGTH = 64;
export const MIN_IPV6_PREFIX_LENGTH = 32;
export const MAX_IPV6_PREFIX_LENGTH = 128;

/**
 * The key every per-client limit and throttle counts a client under (ADR 014): an IPv4 address
 * as itself; an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, what a dual-stack socket reports)
 * as that IPv4 address, so one client is not counted under two spellings; any other IPv6 address
 * as its first `ipv6PrefixLength` bits, written as `prefix/length`. Anything that is not an IP
 * (the CLI's `cli`) is returned unchanged.
 */
export function clientKey(ip: string, ipv6PrefixLength = DEFAULT_IPV6_PREFIX_LENGTH): string {
  if (isIPv4(ip)) return ip;
  // A zone (fe80::1%eth0) names the local interface, not another client.
  const address = ip.replace(/%.*$/, '');
  if (!isIPv6(address)) return ip;
  const groups = ipv6Groups(address);
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    const high = groups[6] ?? 0;
    const low = groups[7] ?? 0;
    return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
  }
  const masked = groups.map((group, index) => {
    const bitsKept = Math.min(16, Math.max(0, ipv6PrefixLength - index * 16));
    return bitsKept === 0 ? 0 : group & (0xffff << (16 - bitsKept)) & 0xffff;
  });
  return `${masked.map((group) => group.toString(16)).join(':')}/${ipv6PrefixLength}`;
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a dotted IPv4 tail converted). */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted !== null) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const first = parse(head);
  if (tail === undefined) return first;
  const last = parse(tail);
  return [...first, ...Array<number>(8 - first.length - last.length).fill(0), ...last];
}
