import fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { registerAccessControl } from '../../src/plugins/access-control.js';

/**
 * Deny by default (ASVS 4.1.3): a route that does not declare who may call it is a start-up error,
 * not a silently public endpoint.
 */

let app: FastifyInstance | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

function bareApp(): FastifyInstance {
  const instance = fastify() as unknown as FastifyInstance;
  // Nobody is ever signed in here: only the declaration check is under test.
  registerAccessControl(instance, () => Promise.resolve(null));
  return instance;
}

/** Adds the routes and starts the app, so the check fails whether it runs at add time or boot. */
async function boot(instance: FastifyInstance, addRoutes: (a: FastifyInstance) => void) {
  addRoutes(instance);
  await instance.ready();
}

describe('registerAccessControl', () => {
  it('control: routes that declare public, authenticated or roles start and behave', async () => {
    app = bareApp();
    await boot(app, (a) => {
      a.get('/api/open', { config: { access: 'public' } }, () => ({ ok: true }));
      a.get('/api/members', { config: { access: 'authenticated' } }, () => ({ ok: true }));
      a.get('/api/admins', { config: { access: ['admin'] } }, () => ({ ok: true }));
    });
    expect((await app.inject({ method: 'GET', url: '/api/open' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/api/members' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/api/admins' })).statusCode).toBe(401);
  });

  it('an API route without config.access makes the app refuse to start', async () => {
    app = bareApp();
    const instance = app;
    await expect(
      boot(instance, (a) => {
        a.get('/api/forgotten', () => ({ secret: true }));
      }),
    ).rejects.toThrow(/declares no access rule/);
  });

  it('an unsafe method outside the API without config.access is refused too', async () => {
    app = bareApp();
    const instance = app;
    await expect(
      boot(instance, (a) => {
        a.post('/upload', () => ({ ok: true }));
      }),
    ).rejects.toThrow(/declares no access rule/);
  });

  it('a route added inside a plugin without config.access is refused too', async () => {
    app = bareApp();
    const instance = app;
    await expect(
      boot(instance, (a) => {
        void a.register(async (child) => {
          await Promise.resolve();
          child.delete('/api/items/:id', () => ({ ok: true }));
        });
      }),
    ).rejects.toThrow(/declares no access rule/);
  });
});
