import { readFileSync } from 'node:fs';
import { readlink } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config.js';
import {
  hashConcurrencyForThreadPool,
  lowerThreadPoolPriority,
  THREAD_POOL_NICE,
} from '../../src/lib/thread-pool.js';

describe('hashConcurrencyForThreadPool: hashes leave two libuv threads free', () => {
  it('keeps a concurrency that fits', () => {
    expect(
      hashConcurrencyForThreadPool({
        concurrency: 2,
        threadPoolSize: 4,
        concurrencyExplicit: true,
        threadPoolSizeExplicit: false,
      }),
    ).toEqual({ concurrency: 2, lowered: false });
  });

  it('lowers the default concurrency to fit libuv default pool of 4', () => {
    expect(
      hashConcurrencyForThreadPool({
        concurrency: 7,
        threadPoolSize: 4,
        concurrencyExplicit: false,
        threadPoolSizeExplicit: false,
      }),
    ).toEqual({ concurrency: 2, lowered: true });
  });

  it('stops on an explicit setting that leaves fewer than two threads, naming UV_THREADPOOL_SIZE', () => {
    const attempt = () =>
      hashConcurrencyForThreadPool({
        concurrency: 4,
        threadPoolSize: 5,
        concurrencyExplicit: true,
        threadPoolSizeExplicit: true,
      });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/UV_THREADPOOL_SIZE: must be at least HASH_CONCURRENCY \+ 2 \(6\)/);
  });
});

describe.runIf(process.platform === 'linux')('lowerThreadPoolPriority', () => {
  const niceOf = (threadId: number): number => {
    const stat = readFileSync(`/proc/self/task/${String(threadId)}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  };

  it('finds every pool thread of this process and gives each nice 10, leaving the main thread', async () => {
    const size = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
    const { lowered, threadIds } = await lowerThreadPoolPriority(size);
    expect(lowered).toBe(size);
    expect(threadIds).toHaveLength(size);
    expect(threadIds).not.toContain(process.pid);
    expect(threadIds.map(niceOf)).toEqual(threadIds.map(() => THREAD_POOL_NICE));
    expect(niceOf(process.pid)).toBe(0);
    // A file operation now runs on a lowered thread, whichever it lands on.
    const [, threadId] = /task\/(\d+)$/.exec(await readlink('/proc/thread-self')) ?? [];
    expect(threadIds).toContain(Number(threadId));
  });
});
