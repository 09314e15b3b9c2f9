import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createUser,
  expectErrorEnvelope,
  listAudit,
  startTestApp,
  strongPassword,
  TestClient,
  type TestApp,
  type TestUser,
} from '../support/test-app.js';

/**
 * The client address decides rate limits, throttling and the audit trail, so X-Forwarded-For is
 * believed only from a configured proxy: anyone else could pick a fresh address per request.
 */

describe('default (no TRUST_PROXY): X-Forwarded-For is ignored', () => {
  let testApp: TestApp;
  let admin: TestUser;

  beforeAll(async () => {
    testApp = await startTestApp();
    admin = await createUser(testApp, { role: 'admin' });
  });

  afterAll(async () => {
    await testApp.close();
  });

  it('5 failures with a different X-Forwarded-For each still lock the account for this client', async () => {
    const target = await createUser(testApp, { label: 'xff' });
    const attacker = new TestClient(testApp);
    await attacker.csrf();
    for (let i = 1; i <= 5; i += 1) {
      const res = await attacker.post(
        '/api/login',
        { email: target.email, password: strongPassword() },
        { headers: { 'x-forwarded-for': `198.51.100.${i}` } },
      );
      expectErrorEnvelope(res, 401, 'invalid_credentials');
    }
    const sixth = await attacker.post(
      '/api/login',
      { email: target.email, password: target.password },
      { headers: { 'x-forwarded-for': '198.51.100.99' } },
    );
    expectErrorEnvelope(sixth, 429, 'too_many_attempts');
  });

  it('the audit records the socket address, not the forged header', async () => {
    const events = await listAudit(admin.client);
    const failures = events.filter((e) => e.type === 'login_failed');
    expect(failures.length).toBeGreaterThan(0);
    for (const event of failures) expect(event.ip).toBe('127.0.0.1');
  });
});

describe("TRUST_PROXY=127.0.0.1: the proxy's X-Forwarded-For is believed", () => {
  let testApp: TestApp;
  let admin: TestUser;

  beforeAll(async () => {
    testApp = await startTestApp({ TRUST_PROXY: '127.0.0.1' });
    admin = await createUser(testApp, { role: 'admin' });
  });

  afterAll(async () => {
    await testApp.close();
  });

  it('the audit ip is the X-Forwarded-For client address', async () => {
    const member = await createUser(testApp, { label: 'proxied' });
    const client = new TestClient(testApp);
    await client.csrf();
    const res = await client.post(
      '/api/login',
      { email: member.email, password: member.password },
      { headers: { 'x-forwarded-for': '203.0.113.7' } },
    );
    expect(res.status).toBe(200);
    const events = await listAudit(admin.client);
    const login = events.find(
      (e) => e.type === 'login_succeeded' && e.actorId === member.user.id && e.ip !== '127.0.0.1',
    );
    expect(login?.ip).toBe('203.0.113.7');
  });
});
