import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expectErrorEnvelope,
  startTestApp,
  TestClient,
  type TestApp,
} from '../support/test-app.js';

/**
 * The general per-client limit over HTTP, at its edges: exactly `max` requests pass, the next is
 * 429 with the time left in the window, and each client address has its own count (behind a
 * trusted proxy, the forwarded address). The integration suite covers which paths count.
 */

const max = 3;
const windowSeconds = 60;
let testApp: TestApp;

beforeAll(async () => {
  testApp = await startTestApp({
    RATE_LIMIT_MAX: String(max),
    RATE_LIMIT_WINDOW_SECONDS: String(windowSeconds),
    TRUST_PROXY: '127.0.0.1',
  });
});

afterAll(async () => {
  await testApp.close();
});

function from(address: string) {
  return new TestClient(testApp).get('/healthz', { headers: { 'x-forwarded-for': address } });
}

describe('the general rate limit', () => {
  it(`exactly ${max} requests pass in a window; the next is 429 with Retry-After = the time left`, async () => {
    const address = '203.0.113.10';
    const started = Date.now();
    for (let i = 1; i <= max; i += 1) {
      expect((await from(address)).status, `request ${i}`).toBe(200);
    }
    const limited = await from(address);
    expectErrorEnvelope(limited, 429, 'rate_limited');
    // The window began with the first request, moments ago: nearly all of it is left.
    const elapsedSeconds = Math.ceil((Date.now() - started) / 1000);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(windowSeconds - elapsedSeconds);
    expect(retryAfter).toBeLessThanOrEqual(windowSeconds);
    // Still refused: a refused request does not open a new window.
    expectErrorEnvelope(await from(address), 429, 'rate_limited');
  });

  it('each client address has its own count', async () => {
    for (let i = 1; i <= max; i += 1) expect((await from('203.0.113.20')).status).toBe(200);
    expect((await from('203.0.113.20')).status).toBe(429);
    expect((await from('203.0.113.21')).status).toBe(200);
  });
});
