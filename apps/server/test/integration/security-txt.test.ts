import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { securityTxtProblems } from '../../src/selftest/security-txt-checks.js';
import { baseTestEnv, rawRequest, startTestApp, type TestApp } from '../support/test-app.js';

/** GET /.well-known/security.txt (RFC 9116), served from SECURITY_CONTACT. */
describe('security.txt', () => {
  let testApp: TestApp | undefined;
  afterEach(async () => {
    await testApp?.close();
    testApp = undefined;
  });

  it('is served as text/plain with Contact, Expires, Preferred-Languages and Canonical', async () => {
    testApp = await startTestApp({
      SECURITY_CONTACT: 'mailto:security@example.test, https://example.test/report',
    });
    const reply = await rawRequest(testApp, 'GET', '/.well-known/security.txt');
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(reply.headers.get('cache-control')).toBe('no-store');
    expect(reply.text).toMatch(
      /^Contact: mailto:security@example\.test\r\nContact: https:\/\/example\.test\/report\r\nExpires: /,
    );
    expect(securityTxtProblems(reply.text, testApp.config.publicOrigin)).toEqual([]);
  });

  it('is not served without SECURITY_CONTACT (a file without Contact would be invalid)', async () => {
    testApp = await startTestApp();
    const reply = await rawRequest(testApp, 'GET', '/.well-known/security.txt');
    expect(reply.status).toBe(404);
  });

  it.each([
    'http://example.test/report',
    'security@example.test',
    'mailto:a@b.test\nExpires: 2099',
  ])('SECURITY_CONTACT %j is refused at start-up', (contact) => {
    expect(() => loadConfig({ ...baseTestEnv, SECURITY_CONTACT: contact })).toThrow(ConfigError);
  });
});
