/**
 * Where Redis is: one server (a `redis://` or `rediss://` URL), or a primary found through
 * Sentinel (REDIS_SENTINELS and REDIS_MASTER_NAME). The configuration carries either as one
 * string, so everything that only asks "is Redis configured?" reads one field; the Sentinel form,
 * `redis-sentinel://host:port,host:port/masterName`, is this module's own, parsed back here
 * (kept free of the Redis client, which is loaded only when Redis is configured).
 */

export interface SentinelAddress {
  host: string;
  port: number;
}

export type RedisTarget =
  | { kind: 'server'; url: string }
  | { kind: 'sentinel'; sentinels: SentinelAddress[]; masterName: string };

const SENTINEL_SCHEME = 'redis-sentinel://';

/** A master name as Sentinel's configuration takes it: no spaces, slashes or commas. */
export const MASTER_NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * `host:port` entries, comma-separated; an IPv6 host in brackets (`[::1]:26379`). Throws a
 * message naming the bad entry (the caller names the variable).
 */
export function parseSentinelList(raw: string): SentinelAddress[] {
  const entries = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new Error('list at least one sentinel as host:port');
  const addresses = entries.map((entry) => {
    const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(entry);
    const port = Number(match?.[2]);
    if (match === null || port < 1 || port > 65535) {
      throw new Error(`"${entry}" is not host:port`);
    }
    return { host: (match[1] ?? '').replace(/^\[(.*)\]$/, '$1'), port };
  });
  const distinct = new Set(addresses.map(({ host, port }) => `${host}|${port}`));
  if (distinct.size !== addresses.length) throw new Error('a sentinel is listed twice');
  return addresses;
}

export function formatSentinelTarget(sentinels: SentinelAddress[], masterName: string): string {
  const hosts = sentinels.map(({ host, port }) =>
    host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`,
  );
  return `${SENTINEL_SCHEME}${hosts.join(',')}/${masterName}`;
}

export function parseRedisTarget(target: string): RedisTarget {
  if (!target.startsWith(SENTINEL_SCHEME)) return { kind: 'server', url: target };
  const rest = target.slice(SENTINEL_SCHEME.length);
  const slash = rest.lastIndexOf('/');
  const masterName = rest.slice(slash + 1);
  if (slash === -1 || !MASTER_NAME_PATTERN.test(masterName)) {
    throw new Error('a Sentinel target ends with /masterName');
  }
  return { kind: 'sentinel', sentinels: parseSentinelList(rest.slice(0, slash)), masterName };
}
