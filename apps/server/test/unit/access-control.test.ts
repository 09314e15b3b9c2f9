import fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { ErrorBody } from '@portcullis/contract/errors';
import type { Role } from '@portcullis/contract/roles';
import {
  registerAccessControl,
  requireAuth,
  type AuthContext,
} from '../../src/plugins/access-control.js';
import { registerErrorHandler } from '../../src/plugins/error-handler.js';
import { registerRoutePolicy } from '../../src/plugins/route-policy.js';

/**
 * What each access rule lets through (ASVS 4.1.3, 4.2.1), over HTTP on a bare app: who is signed
 * in comes from the `x-test-user` header through a stand-in `authenticate`, so each rule is tested
 * against every kind of caller. The guard runs before the route's own preValidation, so an
 * anonymous caller learns nothing from what the route would check next.
 */

let app: FastifyInstance | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

const callers: Record<string, AuthContext> = {
  user: caller('user'),
  admin: caller('admin'),
  guest: caller('guest'),
  unverified: { ...caller('user'), emailVerified: false },
};

function caller(role: Role): AuthContext {
  return {
    userId: `${role}-id`,
    sessionId: `${role}-session`,
    role,
    email: `${role}@example.test`,
    name: role,
    createdAt: 0,
    emailVerified: true,
    authTime: Date.now(),
    hasSecondFactor: false,
  };
}

let authenticateCalls = 0;
function authenticate(request: FastifyRequest): Promise<AuthContext | null> {
  authenticateCalls += 1;
  const who = request.headers['x-test-user'];
  return Promise.resolve(typeof who === 'string' ? (callers[who] ?? null) : null);
}

async function start(register: (instance: FastifyInstance) => void): Promise<FastifyInstance> {
  const instance = fastify() as unknown as FastifyInstance;
  registerErrorHandler(instance);
  registerRoutePolicy(instance);
  registerAccessControl(instance, authenticate);
  register(instance);
  await instance.ready();
  app = instance;
  authenticateCalls = 0;
  return instance;
}

/** `200 <userId seen by the handler>` or `<status> <error code>`. */
async function call(instance: FastifyInstance, url: string, who?: string): Promise<string> {
  const res = await instance.inject({
    method: 'GET',
    url,
    headers: who !== undefined ? { 'x-test-user': who } : {},
  });
  if (res.statusCode === 200) return `200 ${res.json<{ seen: string }>().seen}`;
  return `${res.statusCode} ${res.json<ErrorBody>().error.code}`;
}

// `nobody` only when request.auth is exactly null: the decorated default, not a missing property.
const seen = (request: FastifyRequest) => {
  const auth = request.auth as AuthContext | null | undefined;
  return { seen: auth === null ? 'nobody' : (auth?.userId ?? 'undecorated') };
};

describe('the access rules', () => {
  it('public: anyone, and authenticate is never called (request.auth stays null)', async () => {
    const instance = await start((a) => {
      a.get('/open', { config: { access: 'public' } }, seen);
    });
    expect(await call(instance, '/open')).toBe('200 nobody');
    expect(await call(instance, '/open', 'admin')).toBe('200 nobody');
    expect(authenticateCalls).toBe(0);
  });

  it('authenticated: any signed-in, verified user; the handler sees who', async () => {
    const instance = await start((a) => {
      a.get('/members', { config: { access: 'authenticated' } }, seen);
    });
    expect(await call(instance, '/members')).toBe('401 unauthenticated');
    expect(await call(instance, '/members', 'user')).toBe('200 user-id');
    expect(await call(instance, '/members', 'guest')).toBe('200 guest-id');
    expect(await call(instance, '/members', 'admin')).toBe('200 admin-id');
    expect(await call(instance, '/members', 'unverified')).toBe('403 email_not_verified');
  });

  it('allowUnverified: an unverified user may call it, an anonymous one still may not', async () => {
    const instance = await start((a) => {
      a.get('/resend', { config: { access: 'authenticated', allowUnverified: true } }, seen);
    });
    expect(await call(instance, '/resend', 'unverified')).toBe('200 user-id');
    expect(await call(instance, '/resend')).toBe('401 unauthenticated');
  });

  it('a role list: only those roles; anonymous is 401, another role 403', async () => {
    const instance = await start((a) => {
      a.get('/admins', { config: { access: ['admin'] } }, seen);
      a.get('/staff', { config: { access: ['admin', 'user'] } }, seen);
    });
    expect(await call(instance, '/admins')).toBe('401 unauthenticated');
    expect(await call(instance, '/admins', 'user')).toBe('403 forbidden');
    expect(await call(instance, '/admins', 'guest')).toBe('403 forbidden');
    expect(await call(instance, '/admins', 'admin')).toBe('200 admin-id');
    expect(await call(instance, '/staff', 'user')).toBe('200 user-id');
    expect(await call(instance, '/staff', 'guest')).toBe('403 forbidden');
    // Verification is checked before the role: an unverified admin-to-be learns nothing more.
    expect(await call(instance, '/admins', 'unverified')).toBe('403 email_not_verified');
  });

  it('a read-only document is public without declaring it; an API route is not', async () => {
    const instance = await start((a) => {
      a.get('/page', seen);
    });
    expect(await call(instance, '/page', 'admin')).toBe('200 nobody');
    expect(authenticateCalls).toBe(0);
    const other = fastify() as unknown as FastifyInstance;
    registerRoutePolicy(other);
    registerAccessControl(other, authenticate);
    expect(() => other.get('/api/page', seen)).toThrow(/GET \/api\/page declares no access rule/);
    await other.close();
    // Without the route policy (no surface known), a route with other config is not public either.
    const bare = fastify() as unknown as FastifyInstance;
    registerAccessControl(bare, authenticate);
    expect(() => bare.get('/page', { config: {} }, seen)).toThrow(/declares no access rule/);
    await bare.close();
  });
});

describe("the route's own preValidation", () => {
  for (const shape of ['a function', 'an array'] as const) {
    it(`(${shape}) runs after the guard, and never for a caller the guard refused`, async () => {
      const order: string[] = [];
      const own = (request: FastifyRequest, _reply: unknown, done: () => void) => {
        order.push(`own saw ${request.auth?.userId ?? 'nobody'}`);
        done();
      };
      const second = (_request: FastifyRequest, _reply: unknown, done: () => void) => {
        order.push('second');
        done();
      };
      const instance = await start((a) => {
        a.get(
          '/guarded',
          {
            config: { access: 'authenticated' },
            preValidation: shape === 'a function' ? own : [own, second],
          },
          seen,
        );
      });
      expect(await call(instance, '/guarded')).toBe('401 unauthenticated');
      expect(order).toEqual([]);
      expect(await call(instance, '/guarded', 'user')).toBe('200 user-id');
      expect(order).toEqual(
        shape === 'a function' ? ['own saw user-id'] : ['own saw user-id', 'second'],
      );
    });
  }
});

describe('requireAuth', () => {
  it('returns the caller, or refuses with unauthenticated when a handler is reached without one', () => {
    const user = callers.user;
    expect(requireAuth({ auth: user } as FastifyRequest)).toBe(user);
    expect(() => requireAuth({ auth: null } as FastifyRequest)).toThrow(
      expect.objectContaining({ code: 'unauthenticated', status: 401 }),
    );
  });
});
