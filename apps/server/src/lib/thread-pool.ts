import { ConfigError } from '../config.js';

/**
 * Threads of libuv's pool that password hashes must leave free. @node-rs/argon2 hashes on that
 * pool, and so do file reads (the SPA's files, the breached-password list), DNS lookups of the
 * database and Redis hosts, and zlib: with every thread hashing, a login storm would stall those
 * too and turn a busy hash queue into timeouts everywhere.
 */
export const THREAD_POOL_SPARE_THREADS = 2;

/**
 * The hash concurrency to run with. An explicit HASH_CONCURRENCY or UV_THREADPOOL_SIZE that
 * leaves fewer than two spare threads stops the process naming the variable; the default
 * concurrency (cores - 1) is lowered to fit a pool left at libuv's default of 4 instead, so
 * `npm start` on a many-core machine still starts.
 */
export function hashConcurrencyForThreadPool(options: {
  concurrency: number;
  threadPoolSize: number;
  concurrencyExplicit: boolean;
  threadPoolSizeExplicit: boolean;
}): { concurrency: number; lowered: boolean } {
  const { concurrency, threadPoolSize } = options;
  if (concurrency + THREAD_POOL_SPARE_THREADS <= threadPoolSize) {
    return { concurrency, lowered: false };
  }
  if (options.concurrencyExplicit || options.threadPoolSizeExplicit) {
    throw new ConfigError(
      'UV_THREADPOOL_SIZE',
      `must be at least HASH_CONCURRENCY + ${THREAD_POOL_SPARE_THREADS} (${concurrency + THREAD_POOL_SPARE_THREADS}), is ${threadPoolSize}`,
    );
  }
  return { concurrency: Math.max(1, threadPoolSize - THREAD_POOL_SPARE_THREADS), lowered: true };
}
