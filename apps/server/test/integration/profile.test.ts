import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '@portcullis/contract/auth';
import type { SecureDataResponse } from '@portcullis/contract/profile';
import {
  createUser,
  expectErrorEnvelope,
  startTestApp,
  strongPassword,
  TestClient,
  type TestApp,
} from '../support/test-app.js';

let testApp: TestApp;

beforeAll(async () => {
  testApp = await startTestApp();
});

afterAll(async () => {
  await testApp.close();
});

describe('GET /api/profile', () => {
  it('→ {user} for a signed-in user, with no hidden column', async () => {
    const member = await createUser(testApp, { name: 'Grace Hopper' });
    const res = await member.client.get<{ user: User }>('/api/profile');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['user']);
    expect(res.body.user).toEqual(member.user);
    expect(res.text).not.toMatch(/password|hash|argon/i);
  });

  it('→ 401 unauthenticated when anonymous', async () => {
    expectErrorEnvelope(await new TestClient(testApp).get('/api/profile'), 401, 'unauthenticated');
  });
});

describe('PATCH /api/profile', () => {
  it('{name} → {user} with the new name, which later reads return', async () => {
    const member = await createUser(testApp);
    const res = await member.client.patch<{ user: User }>('/api/profile', { name: '  New Name ' });
    expect(res.status).toBe(200);
    expect(res.body.user).toEqual({ ...member.user, name: 'New Name' });
    const read = await member.client.get<{ user: User }>('/api/profile');
    expect(read.body.user.name).toBe('New Name');
    const secure = await member.client.get<SecureDataResponse>('/api/secure-data');
    expect(secure.body.message).toContain('New Name');
  });

  it('refuses fields other than name (role, email) → 400 validation_failed', async () => {
    const member = await createUser(testApp);
    for (const body of [{ name: 'X', role: 'admin' }, { email: 'x@example.test' }, {}]) {
      expectErrorEnvelope(
        await member.client.patch('/api/profile', body),
        400,
        'validation_failed',
      );
    }
    const read = await member.client.get<{ user: User }>('/api/profile');
    expect(read.body.user).toEqual(member.user);
  });

  it('→ 401 unauthenticated when anonymous', async () => {
    const res = await new TestClient(testApp).patch('/api/profile', { name: 'X' });
    expectErrorEnvelope(res, 401, 'unauthenticated');
  });
});

describe('POST /api/profile/password', () => {
  it('a wrong current password → 401 invalid_credentials and the password is unchanged', async () => {
    const member = await createUser(testApp);
    const res = await member.client.post('/api/profile/password', {
      currentPassword: strongPassword(),
      newPassword: strongPassword(),
    });
    expectErrorEnvelope(res, 401, 'invalid_credentials');
    // The session survives a mistyped current password.
    expect((await member.client.get('/api/profile')).status).toBe(200);
    expect((await new TestClient(testApp).login(member.email, member.password)).status).toBe(200);
  });

  it('a breached new password → 400 breached_password', async () => {
    const member = await createUser(testApp);
    const res = await member.client.post('/api/profile/password', {
      currentPassword: member.password,
      newPassword: 'password1234',
    });
    expectErrorEnvelope(res, 400, 'breached_password');
  });

  it("→ 204, revokes the user's other sessions but keeps the current one", async () => {
    const member = await createUser(testApp);
    const otherDevice = new TestClient(testApp);
    expect((await otherDevice.login(member.email, member.password)).status).toBe(200);
    // Control: both sessions work before the change.
    expect((await otherDevice.get('/api/profile')).status).toBe(200);

    const newPassword = strongPassword();
    const res = await member.client.post<undefined>('/api/profile/password', {
      currentPassword: member.password,
      newPassword,
    });
    expect(res.status).toBe(204);
    expect(res.text).toBe('');

    expect((await member.client.get('/api/profile')).status).toBe(200);
    expectErrorEnvelope(await otherDevice.get('/api/profile'), 401, 'unauthenticated');
    expectErrorEnvelope(await otherDevice.post('/api/refresh', {}), 401, 'unauthenticated');

    const fresh = new TestClient(testApp);
    expectErrorEnvelope(
      await fresh.login(member.email, member.password),
      401,
      'invalid_credentials',
    );
    expect((await fresh.login(member.email, newPassword)).status).toBe(200);
  });

  it('does not touch other users’ sessions', async () => {
    const bystander = await createUser(testApp);
    const member = await createUser(testApp);
    const res = await member.client.post('/api/profile/password', {
      currentPassword: member.password,
      newPassword: strongPassword(),
    });
    expect(res.status).toBe(204);
    expect((await bystander.client.get('/api/profile')).status).toBe(200);
  });
});

describe('GET /api/secure-data', () => {
  it('→ 200 for a signed-in user', async () => {
    const member = await createUser(testApp, { name: 'Reader' });
    const res = await member.client.get<SecureDataResponse>('/api/secure-data');
    expect(res.status).toBe(200);
    expect(res.body.userId).toBe(member.user.id);
    expect(res.body.role).toBe('user');
  });

  it('→ 401 unauthenticated when anonymous', async () => {
    expectErrorEnvelope(
      await new TestClient(testApp).get('/api/secure-data'),
      401,
      'unauthenticated',
    );
  });
});
