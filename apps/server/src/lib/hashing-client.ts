import { AsyncLocalStorage } from 'node:async_hooks';
import { tracingChannel } from 'node:diagnostics_channel';
import { clientKey } from './client-key.js';

/**
 * The client a password hash is done for, so the hash queue can give each client a fair share
 * (lib/bounded-work-queue.ts, `perKeyMax`): one address's burst of sign-ins cannot fill the queue
 * and answer everyone else 503 (CWE-400).
 *
 * The hasher is called by services that know nothing of HTTP, so the client travels beside the
 * call instead of through every signature: Fastify 5 runs each route handler inside the stores
 * bound to the start of its `fastify.request.handler` tracing channel, and this binds one that
 * holds `request.ip` (the socket's address, or the trusted proxy's X-Forwarded-For). Outside a
 * request (the operator's CLI) there is no client and only the whole queue's bound applies.
 */
export const hashingClient = new AsyncLocalStorage<string>();

/** Fastify's documented diagnostics channel around every route handler. */
const FASTIFY_HANDLER_CHANNEL = 'fastify.request.handler';

interface HandlerMessage {
  request: { ip: string };
}

let bound = false;

/**
 * Idempotent: every app built in this process shares the one binding (and the first prefix
 * length). The client is keyed as every other limit keys one (lib/client-key.ts).
 */
export function bindHashingClientToRequests(ipv6PrefixLength?: number): void {
  if (bound) return;
  bound = true;
  tracingChannel<string, HandlerMessage>(FASTIFY_HANDLER_CHANNEL).start.bindStore(
    hashingClient,
    (message) => clientKey(message.request.ip, ipv6PrefixLength),
  );
}

/** The client of the request being handled, or undefined outside a request. */
export function currentHashingClient(): string | undefined {
  return hashingClient.getStore();
}
