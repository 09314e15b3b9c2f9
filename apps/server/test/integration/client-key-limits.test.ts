import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createUser,
  expectErrorEnvelope,
  startTestApp,
  strongPassword,
  TestClient,
  uniqueEmail,
  type TestApp,
} from '../support/test-app.js';

/**
 * Every per-client limit counts people, not addresses (lib/client-key.ts, ADR 014): an IPv6
 * client by its /64 (or IPV6_PREFIX_LENGTH), an IPv4-mapped address as the IPv4 one. Addresses
 * come through the trusted proxy's X-Forwarded-For, as behind nginx. The server-postgres project
 * runs the same file with the counters on Redis.
 */

const viaProxy = (address: string) => ({ headers: { 'x-forwarded-for': address } });

/** A random /64 in the documentation range (2001:db8::/32), so reruns on a shared Redis never meet. */
function randomSlash64(): string {
  const group = () => Math.floor(Math.random() * 0x10000).toString(16);
  return `2001:db8:${group()}:${group()}`;
}

describe('the general rate limit (RATE_LIMIT_MAX=3) counts an IPv6 client by its /64', () => {
  let testApp: TestApp;

  beforeAll(async () => {
    testApp = await startTestApp({
      RATE_LIMIT_MAX: '3',
      RATE_LIMIT_WINDOW_SECONDS: '60',
      TRUST_PROXY: '127.0.0.1',
    });
  });

  afterAll(async () => {
    await testApp.close();
  });

  const from = (address: string) => new TestClient(testApp).get('/healthz', viaProxy(address));

  it('four addresses of one /64 share three requests; the next /64 has its own', async () => {
    const prefix = randomSlash64();
    for (const suffix of ['::1', '::2', ':ffff:ffff:ffff:fffe']) {
      expect((await from(`${prefix}${suffix}`)).status, suffix).toBe(200);
    }
    const fourth = await from(`${prefix}:dead:beef:0:4`);
    expectErrorEnvelope(fourth, 429, 'rate_limited');
    expect(Number(fourth.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

    // The neighbouring /64 (last group of the prefix flipped) is another customer.
    const last = parseInt(prefix.split(':')[3] ?? '0', 16);
    const neighbour = `${prefix.split(':').slice(0, 3).join(':')}:${(last ^ 1).toString(16)}::1`;
    expect((await from(neighbour)).status).toBe(200);
  });

  it('an IPv4-mapped IPv6 address is the same client as its IPv4 address', async () => {
    const octet = () => 1 + Math.floor(Math.random() * 254);
    const ipv4 = `198.18.${octet()}.${octet()}`;
    expect((await from(ipv4)).status).toBe(200);
    expect((await from(`::ffff:${ipv4}`)).status).toBe(200);
    expect((await from(ipv4)).status).toBe(200);
    expectErrorEnvelope(await from(`::ffff:${ipv4}`), 429, 'rate_limited');
  });
});

describe('IPV6_PREFIX_LENGTH=48 widens the client to a /48', () => {
  let testApp: TestApp;

  beforeAll(async () => {
    testApp = await startTestApp({
      RATE_LIMIT_MAX: '2',
      RATE_LIMIT_WINDOW_SECONDS: '60',
      TRUST_PROXY: '127.0.0.1',
      IPV6_PREFIX_LENGTH: '48',
    });
  });

  afterAll(async () => {
    await testApp.close();
  });

  it('two /64s of one /48 share a count', async () => {
    const [a, b, c] = randomSlash64().split(':');
    const slash48 = `${a}:${b}:${c}`;
    const from = (address: string) => new TestClient(testApp).get('/healthz', viaProxy(address));
    expect((await from(`${slash48}:1::1`)).status).toBe(200);
    expect((await from(`${slash48}:2::1`)).status).toBe(200);
    expectErrorEnvelope(await from(`${slash48}:3::1`), 429, 'rate_limited');
  });
});

describe('sign-in and registration count an IPv6 client by its /64', () => {
  let testApp: TestApp;

  beforeAll(async () => {
    testApp = await startTestApp({ TRUST_PROXY: '127.0.0.1' });
  });

  afterAll(async () => {
    await testApp.close();
  });

  it('five wrong passwords from five addresses of one /64 lock that /64 out of the account, not the next /64', async () => {
    const owner = await createUser(testApp, { label: 'v6-owner' });
    const prefix = randomSlash64();
    const attacker = new TestClient(testApp);
    for (let i = 1; i <= 5; i += 1) {
      const reply = await attacker.post(
        '/api/login',
        { email: owner.email, password: strongPassword() },
        viaProxy(`${prefix}::${i.toString(16)}`),
      );
      expectErrorEnvelope(reply, 401, 'invalid_credentials');
    }
    // A sixth address of the same /64, with the right password: still this client, still locked.
    const sixth = await attacker.post(
      '/api/login',
      { email: owner.email, password: owner.password },
      viaProxy(`${prefix}:aaaa:bbbb:cccc:dddd`),
    );
    expectErrorEnvelope(sixth, 429, 'too_many_attempts');

    const [a, b, c, d] = prefix.split(':');
    const otherSlash64 = `${a}:${b}:${c}:${(parseInt(d ?? '0', 16) ^ 1).toString(16)}::1`;
    const elsewhere = await new TestClient(testApp).post(
      '/api/login',
      { email: owner.email, password: owner.password },
      viaProxy(otherSlash64),
    );
    expect(elsewhere.status, JSON.stringify(elsewhere.body)).toBe(200);
  });

  it('registration: twenty an hour per /64, whatever address in it each one comes from', async () => {
    const prefix = randomSlash64();
    const register = (address: string) =>
      new TestClient(testApp).post(
        '/api/register',
        { email: uniqueEmail('v6-reg'), password: strongPassword(), name: 'Six' },
        viaProxy(address),
      );
    for (let i = 1; i <= 20; i += 1) {
      const reply = await register(`${prefix}:${i.toString(16)}::1`);
      expect(reply.status, `registration ${i}`).toBe(202);
    }
    expectErrorEnvelope(await register(`${prefix}:ffff::1`), 429, 'rate_limited');
    const [a, b, c, d] = prefix.split(':');
    const otherSlash64 = `${a}:${b}:${c}:${(parseInt(d ?? '0', 16) ^ 1).toString(16)}::1`;
    expect((await register(otherSlash64)).status).toBe(202);
  }, 60_000);
});
