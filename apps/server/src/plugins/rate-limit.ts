import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../lib/app-error.js';
import { clientKey } from '../lib/client-key.js';
import type { CounterStore } from '../lib/counter-store.js';

export interface RateLimitOptions {
  max: number;
  windowSeconds: number;
  /** IPv6 clients are counted by this prefix (lib/client-key.ts); /64 when absent. */
  ipv6PrefixLength?: number;
}

/**
 * A general per-client limit: every request counts, whatever its path or spelling (API, static
 * file, SPA fallback, 404), so neither the API nor a scanner probing for paths runs without
 * bound. Login has its own, much stricter throttle.
 */
export function createClientRateLimit(store: CounterStore, options: RateLimitOptions) {
  const windowMs = options.windowSeconds * 1000;
  return async function consume(request: FastifyRequest): Promise<void> {
    // By prefix for IPv6: one customer's /64 is one client, however many addresses it uses.
    const key = clientKey(request.ip, options.ipv6PrefixLength);
    const state = await store.increment(`rl:${key}`, windowMs);
    if (state.count > options.max) {
      throw new AppError('rate_limited', {
        retryAfterSeconds: Math.max(1, Math.ceil((state.resetAtMs - Date.now()) / 1000)),
      });
    }
  };
}

export function registerRateLimit(
  app: FastifyInstance,
  consume: (request: FastifyRequest) => Promise<void>,
): void {
  app.addHook('onRequest', consume);
}
