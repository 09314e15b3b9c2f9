import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionLimits } from '../config.js';
import { clientKey } from './client-key.js';

/**
 * Bounds on what one slow or greedy client may hold of a listener (slowloris, connection floods;
 * CWE-400). Node checks the header and request deadlines only every `connectionsCheckingInterval`
 * (30 s by default), so a 30 s request timeout let a body sent at one byte a second hold its
 * connection 65 to 74 s; the check now runs every second, or more often for shorter deadlines.
 */
export function applyConnectionTimeouts(server: Server, limits: ConnectionLimits): void {
  server.requestTimeout = limits.requestTimeoutMs;
  server.headersTimeout = limits.headersTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.maxRequestsPerSocket = limits.maxRequestsPerSocket;
  // Read when the server starts listening, so this must run before `listen`. (Node 18.12+;
  // missing from @types/node 20's Server type.)
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval =
    Math.min(1000, Math.max(100, Math.floor(limits.headersTimeoutMs / 4)));
}

export interface ConnectionsPerClient {
  /** Open connections from `address` now. */
  openFrom(address: string): number;
}

/**
 * Counts open connections per remote address (over all `servers`) and closes at once each one over
 * `maxPerClient`, before any TLS handshake or parsing is spent on it. The map holds only addresses with an open
 * connection, so it is bounded by the open connections themselves.
 */
export function limitConnectionsPerClient(
  servers: readonly Server[],
  maxPerClient: number,
  onRefused: (address: string) => void = () => undefined,
  ipv6PrefixLength?: number,
): ConnectionsPerClient {
  const open = new Map<string, number>();
  const track = (socket: Socket) => {
    const remote = socket.remoteAddress;
    if (remote === undefined) return;
    // Counted as every limit counts a client: an IPv6 address by its prefix (client-key).
    const address = clientKey(remote, ipv6PrefixLength);
    const count = open.get(address) ?? 0;
    if (count >= maxPerClient) {
      onRefused(address);
      socket.destroy();
      return;
    }
    open.set(address, count + 1);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left === 0) open.delete(address);
      else open.set(address, left);
    });
  };
  // Runs in the tick the connection is accepted, after Node's own listener wrapped it: destroyed
  // there, it is gone before a byte of TLS handshake or HTTP is read from it.
  for (const server of servers) server.on('connection', track);
  return { openFrom: (address) => open.get(clientKey(address, ipv6PrefixLength)) ?? 0 };
}
