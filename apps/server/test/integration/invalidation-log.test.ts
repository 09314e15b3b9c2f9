import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DbInvalidationLog } from '../../src/lib/db-invalidation-log.js';
import { createUser, startTestApp, type TestApp } from '../support/test-app.js';

/**
 * The path the operator's CLI uses to reach running instances (ADR 009), on each back end: a row
 * appended to the invalidation log by another connection binds the instance within a second,
 * whether or not Redis is configured (the 'server-postgres' project runs this with Redis).
 */

let testApp: TestApp;

beforeAll(async () => {
  testApp = await startTestApp();
});

afterAll(async () => {
  await testApp.close();
});

async function msUntil(since: number, check: () => Promise<boolean>): Promise<number> {
  for (;;) {
    if (await check()) return Date.now() - since;
    if (Date.now() - since > 5_000) throw new Error('the change never bound');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the invalidation log', () => {
  it('a role change announced in the log binds the live session within a second', async () => {
    const target = await createUser(testApp, { role: 'admin', label: 'logged-role' });
    expect((await target.client.get('/api/admin/users')).status).toBe(200);

    await testApp
      .db()
      .updateTable('users')
      .set({ role: 'guest' })
      .where('id', '=', target.user.id)
      .execute();
    await new DbInvalidationLog(testApp.db()).append({ kind: 'user', userId: target.user.id });
    const appendedAt = Date.now();

    const elapsed = await msUntil(
      appendedAt,
      async () => (await target.client.get('/api/admin/users')).status === 403,
    );
    expect(elapsed).toBeLessThan(1_000);
  });

  it('a revocation announced in the log ends the session within a second', async () => {
    const target = await createUser(testApp, { label: 'logged-session' });
    expect((await target.client.get('/api/profile')).status).toBe(200);
    const sessions = await testApp
      .db()
      .updateTable('sessions')
      .set({ revoked_at: Date.now() })
      .where('user_id', '=', target.user.id)
      .returning('id')
      .execute();
    const log = new DbInvalidationLog(testApp.db());
    for (const { id } of sessions) await log.append({ kind: 'session', sessionId: id });
    const appendedAt = Date.now();

    const elapsed = await msUntil(
      appendedAt,
      async () => (await target.client.get('/api/profile')).status === 401,
    );
    expect(elapsed).toBeLessThan(1_000);
  });
});
