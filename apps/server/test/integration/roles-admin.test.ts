import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  AdminUserListResponse,
  AuditEvent,
  AuditListResponse,
} from '@portcullis/contract/admin';
import type { User } from '@portcullis/contract/auth';
import type { Note } from '@portcullis/contract/notes';
import type { SecureDataResponse } from '@portcullis/contract/profile';
import {
  createUser,
  expectErrorEnvelope,
  listAudit,
  startTestApp,
  strongPassword,
  TestClient,
  USER_AGENT,
  waitForAudit,
  type TestApp,
  type TestUser,
} from '../support/test-app.js';

/** Role-based access control (ASVS 4.1): enforced per route, from the live role, on every request. */

let testApp: TestApp;
let admin: TestUser;
let member: TestUser;
let guest: TestUser;

beforeAll(async () => {
  testApp = await startTestApp();
  // The only admin in this app: the last-admin rule below depends on it.
  admin = await createUser(testApp, { role: 'admin' });
  member = await createUser(testApp, { role: 'user' });
  guest = await createUser(testApp, { role: 'guest' });
});

afterAll(async () => {
  await testApp.close();
});

function setRole(userId: string, role: string) {
  return admin.client.patch<{ user: User }>(`/api/admin/users/${userId}`, { role });
}

describe('guest', () => {
  it('may GET /api/profile and /api/secure-data', async () => {
    expect((await guest.client.get('/api/profile')).status).toBe(200);
    const secure = await guest.client.get<SecureDataResponse>('/api/secure-data');
    expect(secure.status).toBe(200);
    expect(secure.body.role).toBe('guest');
  });

  it('POST /api/notes → 403 forbidden (control: a user may)', async () => {
    expect((await member.client.post('/api/notes', { title: 't', body: 'b' })).status).toBe(201);
    expectErrorEnvelope(
      await guest.client.post('/api/notes', { title: 't', body: 'b' }),
      403,
      'forbidden',
    );
  });
});

describe('admin-only endpoints', () => {
  const endpoints = [
    { label: 'GET /api/admin/users', method: 'GET', path: () => '/api/admin/users' },
    {
      label: 'PATCH /api/admin/users/:id',
      method: 'PATCH',
      path: () => `/api/admin/users/${member.user.id}`,
      body: { role: 'admin' },
    },
    { label: 'GET /api/admin/audit', method: 'GET', path: () => '/api/admin/audit' },
  ] as const;

  for (const endpoint of endpoints) {
    const { label } = endpoint;
    const body = 'body' in endpoint ? endpoint.body : undefined;

    it(`${label} → 403 forbidden for a user`, async () => {
      const res = await member.client.request(endpoint.method, endpoint.path(), { body });
      expectErrorEnvelope(res, 403, 'forbidden');
    });

    it(`${label} → 403 forbidden for a guest`, async () => {
      const res = await guest.client.request(endpoint.method, endpoint.path(), { body });
      expectErrorEnvelope(res, 403, 'forbidden');
    });

    it(`${label} → 401 unauthenticated when anonymous`, async () => {
      const res = await new TestClient(testApp).request(endpoint.method, endpoint.path(), { body });
      expectErrorEnvelope(res, 401, 'unauthenticated');
    });
  }

  it('the refused PATCH did not promote the user', async () => {
    const res = await member.client.get<{ user: User }>('/api/profile');
    expect(res.body.user.role).toBe('user');
  });

  it('GET /api/admin/users → {users, nextCursor} for an admin, with no secrets', async () => {
    const res = await admin.client.get<AdminUserListResponse>('/api/admin/users?limit=2');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['nextCursor', 'users']);
    expect(res.body.users).toHaveLength(2);
    expect(typeof res.body.nextCursor).toBe('string');
    // `mustResetPassword` is a flag; no key or value may carry a password or its hash.
    expect(res.text).not.toMatch(/"password"|passwordhash|password_hash|"hash"|argon/i);
    const all = await admin.client.get<AdminUserListResponse>('/api/admin/users?limit=100');
    expect(all.body.users.map((u) => u.id)).toEqual(
      expect.arrayContaining([admin.user.id, member.user.id, guest.user.id]),
    );
  });

  it('GET /api/admin/audit → {events, nextCursor} for an admin', async () => {
    const res = await admin.client.get<AuditListResponse>('/api/admin/audit?limit=5');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['events', 'nextCursor']);
  });

  it('PATCH /api/admin/users/:id refuses an unknown role, extra fields and a malformed id (400) and an unknown id (404)', async () => {
    expectErrorEnvelope(await setRole(member.user.id, 'superadmin'), 400, 'validation_failed');
    expectErrorEnvelope(
      await admin.client.patch(`/api/admin/users/${member.user.id}`, { role: 'user', email: 'x' }),
      400,
      'validation_failed',
    );
    expectErrorEnvelope(
      await admin.client.patch('/api/admin/users/not-a-uuid', { role: 'user' }),
      400,
      'validation_failed',
    );
    expectErrorEnvelope(
      await setRole('5f1b6c2e-8d3a-4b7f-9e21-0c4d5a6b7c8d', 'user'),
      404,
      'not_found',
    );
  });
});

describe("a role change is a privilege change: the user's sessions end at once", () => {
  it('user writes a note → admin sets guest → the same session is refused (401) → signs in again as guest', async () => {
    const subject = await createUser(testApp, { label: 'demoted' });
    const note = await subject.client.post<Note>('/api/notes', { title: 'Before', body: 'b' });
    expect(note.status).toBe(201);

    const changed = await setRole(subject.user.id, 'guest');
    expect(changed.status).toBe(200);
    expect(changed.body.user).toMatchObject({ id: subject.user.id, role: 'guest' });

    // The old session (and its refresh token) is over: a new role starts a new session.
    expectErrorEnvelope(
      await subject.client.post('/api/notes', { title: 'After', body: 'b' }),
      401,
      'unauthenticated',
    );
    expectErrorEnvelope(await subject.client.post('/api/refresh'), 401, 'unauthenticated');

    expect((await subject.client.login(subject.email, subject.password)).status).toBe(200);
    expectErrorEnvelope(
      await subject.client.post('/api/notes', { title: 'As guest', body: 'b' }),
      403,
      'forbidden',
    );
    expect((await subject.client.get(`/api/notes/${note.body.id}`)).status).toBe(200);
    const secure = await subject.client.get<SecureDataResponse>('/api/secure-data');
    expect(secure.body.role).toBe('guest');
  });

  it('the last admin demoting itself → 409 last_admin and stays admin', async () => {
    const res = await setRole(admin.user.id, 'user');
    expectErrorEnvelope(res, 409, 'last_admin');
    expect((await admin.client.get('/api/admin/users')).status).toBe(200);
  });
});

describe('audit log', () => {
  it('records login_succeeded, login_failed, logout, role_changed, csrf_failed and password_changed with ip and userAgent', async () => {
    const actor = await createUser(testApp, { label: 'audited' });
    // login_failed
    expect((await new TestClient(testApp).login(actor.email, strongPassword())).status).toBe(401);
    // password_changed
    const newPassword = strongPassword();
    expect((await actor.client.changePassword(actor.password, newPassword)).status).toBe(204);
    // role_changed
    expect((await setRole(actor.user.id, 'guest')).status).toBe(200);
    // csrf_failed
    expect((await actor.client.patch('/api/profile', { name: 'x' }, { csrf: false })).status).toBe(
      403,
    );
    // logout
    expect((await actor.client.post('/api/logout', {})).status).toBe(204);

    await waitForAudit(admin.client, (e) => e.type === 'csrf_failed');
    const events = await listAudit(admin.client);
    const about = (e: AuditEvent) =>
      e.actorId === actor.user.id || e.targetId === actor.user.id || e.actorEmail === actor.email;
    const expected = [
      'login_succeeded',
      'login_failed',
      'logout',
      'role_changed',
      'password_changed',
    ] as const;
    for (const type of expected) {
      const event = events.find((e) => e.type === type && about(e));
      expect(event, type).toBeDefined();
      expect(event?.ip, type).toBe('127.0.0.1');
      expect(event?.userAgent, type).toBe(USER_AGENT);
    }
    const csrf = events.find((e) => e.type === 'csrf_failed');
    expect(csrf?.ip).toBe('127.0.0.1');
    expect(csrf?.userAgent).toBe(USER_AGENT);

    const roleChange = events.find(
      (e) => e.type === 'role_changed' && e.targetId === actor.user.id,
    );
    expect(roleChange).toMatchObject({ actorId: admin.user.id, outcome: 'success' });
    expect(roleChange?.detail).toContain('guest');
    expect(events.find((e) => e.type === 'login_failed' && about(e))?.outcome).toBe('failure');
    // Nothing secret is in the audit trail.
    const text = JSON.stringify(events);
    expect(text).not.toContain(actor.password);
    expect(text).not.toContain(newPassword);
  });
});
