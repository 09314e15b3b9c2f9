import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config.js';
import { hashConcurrencyForThreadPool } from '../../src/lib/thread-pool.js';

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
