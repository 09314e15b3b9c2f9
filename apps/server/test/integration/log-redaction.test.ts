import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Note } from '@portcullis/contract/notes';
import {
  cookieNames,
  startTestApp,
  strongPassword,
  TestClient,
  uniqueEmail,
  type TestApp,
} from '../support/test-app.js';

/**
 * ASVS 7.1.1: credentials and session tokens never reach the log. The secrets are collected from
 * what the test sent and received, then searched for in the raw log text.
 */

let testApp: TestApp;

beforeAll(async () => {
  testApp = await startTestApp({ LOG_LEVEL: 'trace' });
});

afterAll(async () => {
  await testApp.close();
});

interface LogLine {
  msg?: string;
  reqId?: string;
  path?: string;
  status?: number;
}

describe('logs', () => {
  it('contain no password, cookie value, access/refresh token or CSRF token after a full user journey', async () => {
    const secrets = new Set<string>();
    const client = new TestClient(testApp);
    const collect = () => {
      for (const value of client.cookies.values()) secrets.add(value);
      if (client.csrfToken !== undefined) secrets.add(client.csrfToken);
    };

    const email = uniqueEmail('logged');
    const password = strongPassword();
    const newPassword = strongPassword();
    secrets.add(password);
    secrets.add(newPassword);

    expect((await client.register(email, password, 'Log Subject')).status).toBe(201);
    collect();
    // A failed login with a password that is not the user's: it must not be logged either.
    const wrongPassword = strongPassword();
    secrets.add(wrongPassword);
    expect((await client.login(email, wrongPassword)).status).toBe(401);
    expect((await client.login(email, password)).status).toBe(200);
    collect();
    const note = await client.post<Note>('/api/notes', { title: 'Logged?', body: 'body text' });
    expect(note.status).toBe(201);
    expect((await client.get(`/api/notes/${note.body.id}`)).status).toBe(200);
    expect((await client.post('/api/refresh', {})).status).toBe(200);
    collect();
    expect(
      (await client.post('/api/profile/password', { currentPassword: password, newPassword }))
        .status,
    ).toBe(204);
    // Refused requests carry secrets too (a wrong CSRF token, a bad cookie): still not logged.
    const forgedToken = `forged-${strongPassword()}`;
    secrets.add(forgedToken);
    expect(
      (await client.patch('/api/profile', { name: 'x' }, { csrfToken: forgedToken })).status,
    ).toBe(403);
    // Register with an invalid body that still carries a password.
    const invalidPassword = strongPassword();
    secrets.add(invalidPassword);
    expect(
      (await client.post('/api/register', { email: 'bad', password: invalidPassword })).status,
    ).toBe(400);
    collect();
    expect((await client.post('/api/logout', {})).status).toBe(204);
    collect();

    const sent = client.requestCount;
    await testApp.waitForLogs(
      (lines) => lines.filter((line) => line.includes('"msg":"request"')).length >= sent,
    );
    const text = testApp.logText();
    expect(text.length).toBeGreaterThan(0);
    const secretList = [...secrets].filter((s) => s.length >= 8);
    expect(secretList.length).toBeGreaterThanOrEqual(8);
    for (const secret of secretList) {
      expect(text.includes(secret), `log contains a secret starting ${secret.slice(0, 6)}`).toBe(
        false,
      );
    }
    // Not even the JWT payload of the access token (its claims are fine, the token is not).
    expect(text).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/);
    for (const name of Object.values(cookieNames)) expect(text).not.toContain(`${name}=`);
  });

  it('each request produced exactly one "request" line with its reqId', async () => {
    const client = new TestClient(testApp);
    const before = testApp.logs().length;
    const results = [
      await client.get('/api/csrf'),
      await client.get('/api/profile'),
      await client.get('/api/nothing-here'),
      await client.post('/api/login', { email: 'x@example.test', password: 'y' }, { csrf: false }),
      await client.get('/healthz'),
    ];
    const lines = await testApp.waitForLogs(
      (all) => all.slice(before).filter((l) => l.includes('"msg":"request"')).length >= 5,
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    const requestLines = testApp
      .logs()
      .slice(before)
      .map((line) => JSON.parse(line) as LogLine)
      .filter((line) => line.msg === 'request');
    expect(lines.length).toBeGreaterThan(before);
    expect(requestLines).toHaveLength(results.length);
    const ids = requestLines.map((line) => line.reqId);
    for (const id of ids) expect(typeof id === 'string' && id.length > 0).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    // The requestId shown to a user in an error body finds the right log line.
    const errors = results.filter((r) => r.status >= 400);
    expect(errors.length).toBeGreaterThanOrEqual(3);
    for (const error of errors) {
      const line = requestLines.find((l) => l.reqId === error.body.error.requestId);
      expect(line?.status).toBe(error.status);
    }
  });

  it('every captured line is JSON', () => {
    for (const line of testApp.logs()) expect(() => JSON.parse(line) as unknown).not.toThrow();
  });
});
