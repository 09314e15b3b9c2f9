import { describe, expect, it } from 'vitest';
import { clientKey } from '../../src/lib/client-key.js';

describe('clientKey: the one rule every per-client limit counts by', () => {
  it('keys IPv4 by the whole address', () => {
    expect(clientKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('203.0.113.8')).not.toBe(clientKey('203.0.113.7'));
  });

  it('keys an IPv4-mapped IPv6 address as the IPv4 address, in either spelling', () => {
    expect(clientKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('::ffff:cb00:7107')).toBe('203.0.113.7');
    expect(clientKey('::FFFF:203.0.113.7', 48)).toBe('203.0.113.7');
  });

  it('keys IPv6 by its /64 by default: addresses in one /64 share a key, neighbouring /64s do not', () => {
    const key = clientKey('2001:db8:1:2::1');
    expect(key).toBe('2001:db8:1:2:0:0:0:0/64');
    expect(clientKey('2001:db8:1:2:ffff:ffff:ffff:fffe')).toBe(key);
    expect(clientKey('2001:0DB8:0001:0002:abcd::9')).toBe(key);
    expect(clientKey('2001:db8:1:3::1')).not.toBe(key);
  });

  it('takes the configured prefix length, including one that splits a group', () => {
    expect(clientKey('2001:db8:1:2::1', 48)).toBe('2001:db8:1:0:0:0:0:0/48');
    expect(clientKey('2001:db8:1:ff00::1', 56)).toBe(clientKey('2001:db8:1:ffff::1', 56));
    expect(clientKey('2001:db8:1:fe00::1', 56)).not.toBe(clientKey('2001:db8:1:ff00::1', 56));
    expect(clientKey('2001:db8:ffff:1::1', 34)).toBe('2001:db8:c000:0:0:0:0:0/34');
    expect(clientKey('2001:db8::1', 128)).toBe('2001:db8:0:0:0:0:0:1/128');
    expect(clientKey('2001:db8::2', 128)).not.toBe(clientKey('2001:db8::1', 128));
  });

  it('handles loopback, a zone id and an embedded IPv4 tail that is not mapped', () => {
    expect(clientKey('::1')).toBe('0:0:0:0:0:0:0:0/64');
    expect(clientKey('fe80::1%eth0')).toBe('fe80:0:0:0:0:0:0:0/64');
    expect(clientKey('64:ff9b::203.0.113.7', 96)).toBe('64:ff9b:0:0:0:0:0:0/96');
  });

  it('returns anything that is not an IP address unchanged', () => {
    expect(clientKey('cli')).toBe('cli');
    expect(clientKey('')).toBe('');
  });
});
