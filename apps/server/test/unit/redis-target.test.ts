import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { parseRedisTarget } from '../../src/lib/redis-target.js';

/** REDIS_SENTINELS and REDIS_MASTER_NAME at boot (ADR 014), and IPV6_PREFIX_LENGTH's range. */

const base = { NODE_ENV: 'test', DATA_DIR: '/nonexistent-portcullis-test' };

describe('Redis through Sentinel: configuration', () => {
  it('turns the sentinel list and master name into one target the stores parse back', () => {
    const config = loadConfig({
      ...base,
      REDIS_SENTINELS: '10.0.0.1:26379, sentinel-b.internal:26380,[2001:db8::7]:26379',
      REDIS_MASTER_NAME: 'portcullis',
      INSTANCE_COUNT: '2',
    });
    expect(parseRedisTarget(config.redisUrl ?? '')).toEqual({
      kind: 'sentinel',
      masterName: 'portcullis',
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: 'sentinel-b.internal', port: 26380 },
        { host: '2001:db8::7', port: 26379 },
      ],
    });
  });

  it('keeps a plain REDIS_URL as it is', () => {
    const config = loadConfig({ ...base, REDIS_URL: 'redis://127.0.0.1:6379/2' });
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379/2');
    expect(parseRedisTarget(config.redisUrl ?? '')).toEqual({
      kind: 'server',
      url: 'redis://127.0.0.1:6379/2',
    });
  });

  it.each([
    [
      { REDIS_SENTINELS: '10.0.0.1:26379', REDIS_URL: 'redis://127.0.0.1:6379' },
      'REDIS_SENTINELS: set either REDIS_URL or REDIS_SENTINELS, not both',
    ],
    [{ REDIS_SENTINELS: '10.0.0.1:26379' }, 'REDIS_MASTER_NAME: must be set with REDIS_SENTINELS'],
    [{ REDIS_MASTER_NAME: 'portcullis' }, 'REDIS_MASTER_NAME: is only used with REDIS_SENTINELS'],
    [
      { REDIS_SENTINELS: '10.0.0.1', REDIS_MASTER_NAME: 'p' },
      'REDIS_SENTINELS: "10.0.0.1" is not host:port',
    ],
    [
      { REDIS_SENTINELS: '10.0.0.1:70000', REDIS_MASTER_NAME: 'p' },
      'REDIS_SENTINELS: "10.0.0.1:70000" is not host:port',
    ],
    [
      { REDIS_SENTINELS: 'a:1,a:1', REDIS_MASTER_NAME: 'p' },
      'REDIS_SENTINELS: a sentinel is listed twice',
    ],
    [
      { REDIS_SENTINELS: 'a:1', REDIS_MASTER_NAME: 'my master/x' },
      'REDIS_MASTER_NAME: letters, digits, ".", "_" and "-" only',
    ],
    [{ IPV6_PREFIX_LENGTH: '31' }, 'IPV6_PREFIX_LENGTH'],
    [{ IPV6_PREFIX_LENGTH: '129' }, 'IPV6_PREFIX_LENGTH'],
  ])('refuses %o at boot, naming the variable', (env, message) => {
    expect(() => loadConfig({ ...base, ...env })).toThrow(message);
  });

  it('INSTANCE_COUNT above 1 is satisfied by Sentinel as by REDIS_URL', () => {
    expect(() => loadConfig({ ...base, INSTANCE_COUNT: '2' })).toThrow(/^REDIS_URL: /);
    expect(
      loadConfig({
        ...base,
        INSTANCE_COUNT: '2',
        REDIS_SENTINELS: '127.0.0.1:26379',
        REDIS_MASTER_NAME: 'p',
      }).instanceCount,
    ).toBe(2);
  });
});
