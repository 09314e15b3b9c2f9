import { readlink } from 'node:fs/promises';
import { getPriority, setPriority } from 'node:os';
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

/**
 * The nice value given to libuv's pool threads, where password hashes run. Under a login storm the
 * hashes and the event loop want the same cores; at nice 10 the scheduler gives a core to the event
 * loop (nice 0) about nine times in ten when both are ready, so authenticated reads keep their speed
 * and the storm, not everyone else, waits (it is queued and answered 503 when the queue is full).
 */
export const THREAD_POOL_NICE = 10;

const THREAD_SELF = /^(\d+)\/task\/(\d+)$/;

/**
 * Lowers the CPU priority of libuv's pool threads, on Linux; elsewhere it does nothing and says so.
 * The pool's threads run no JavaScript, but a file operation queued on the pool runs its system
 * call there: `readlink("/proc/thread-self")` answers with the id of the pool thread that ran it.
 * Reads are queued in rounds until every thread has answered (bounded), and each thread's nice
 * value is then raised; raising it needs no privilege. Returns how many threads were lowered.
 */
export async function lowerThreadPoolPriority(
  threadPoolSize: number,
  nice = THREAD_POOL_NICE,
): Promise<{ lowered: number; threadIds: number[] }> {
  if (process.platform !== 'linux') return { lowered: 0, threadIds: [] };
  const threads = new Set<number>();
  for (let round = 0; round < 50 && threads.size < threadPoolSize; round += 1) {
    const answers = await Promise.allSettled(
      Array.from({ length: threadPoolSize * 4 }, () => readlink('/proc/thread-self')),
    );
    for (const answer of answers) {
      if (answer.status !== 'fulfilled') return { lowered: 0, threadIds: [] };
      const match = THREAD_SELF.exec(answer.value);
      // Only threads of this process's pool: never the main thread, whose id is the process id.
      if (match !== null && Number(match[1]) === process.pid && Number(match[2]) !== process.pid) {
        threads.add(Number(match[2]));
      }
    }
  }
  let lowered = 0;
  for (const threadId of threads) {
    // setpriority(2) with a thread id sets that thread's nice value on Linux.
    setPriority(threadId, Math.max(getPriority(threadId), nice));
    lowered += 1;
  }
  return { lowered, threadIds: [...threads].sort((a, b) => a - b) };
}
