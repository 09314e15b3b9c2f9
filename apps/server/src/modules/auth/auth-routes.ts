import type { FastifyInstance, FastifyReply } from 'fastify';
import type { FeatureModule } from '../feature-module.js';
import { z } from 'zod';
import {
  currentSessionResponseSchema,
  loginBodySchema,
  type LoginBody,
} from '@portcullis/contract/auth';
import { newBearerSecret } from '../../lib/random.js';
import { requestContext } from '../../lib/request-context.js';
import { baseCookieOptions, cookieNames } from '../../plugins/cookies.js';
import { principalToUser } from '../users/user-view.js';
import type { IssuedSession } from '../identity/session-service.js';
import type { AuthService } from './auth-service.js';

/** Browsers cap cookie lifetimes at 400 days (RFC 6265bis). */
const DEVICE_COOKIE_MAX_AGE_SECONDS = 400 * 24 * 60 * 60;

/** Endpoints that take no body still refuse one with unknown fields; a bodiless POST is `null`. */
const emptyBody = z.strictObject({}).nullish();

export function registerAuthRoutes(
  app: FastifyInstance,
  deps: { auth: AuthService; accessTokenTtlSeconds: number },
): void {
  const { auth } = deps;

  const setSessionCookies = (reply: FastifyReply, issued: IssuedSession) => {
    reply.setCookie(cookieNames.access, issued.accessToken, {
      ...baseCookieOptions,
      maxAge: deps.accessTokenTtlSeconds,
    });
    if (issued.refreshToken !== undefined) {
      reply.setCookie(cookieNames.refresh, issued.refreshToken, {
        ...baseCookieOptions,
        maxAge: Math.max(0, Math.floor((issued.refreshExpiresAt - Date.now()) / 1000)),
      });
    }
  };

  const clearSessionCookies = (reply: FastifyReply) => {
    reply.clearCookie(cookieNames.access, baseCookieOptions);
    reply.clearCookie(cookieNames.refresh, baseCookieOptions);
  };

  // Public and never a refusal: an anonymous page load asks who is signed in without writing a
  // 401 to the console. The user comes from the same check the access rules run (the live
  // session state), so a revoked session or a changed role shows here at once. `canRefresh` only
  // says a refresh cookie came along; whether it is still valid is for POST /api/refresh to decide.
  app.get(
    '/api/session',
    { config: { access: 'public' }, schema: { response: { 200: currentSessionResponseSchema } } },
    async (request) => {
      const principal = await auth.authenticate(request.cookies[cookieNames.access]);
      return {
        user: principal === null ? null : principalToUser(principal),
        canRefresh: request.cookies[cookieNames.refresh] !== undefined,
      };
    },
  );

  app.post<{ Body: LoginBody }>(
    '/api/login',
    { config: { access: 'public' }, schema: { body: loginBodySchema } },
    async (request, reply) => {
      // A long-lived random device id (not the IP, which changes): a sign-in from an id this
      // account has not seen before is reported to its owner.
      const known = request.cookies[cookieNames.device];
      const deviceId = known !== undefined && /^[\w-]{43}$/.test(known) ? known : newBearerSecret();
      const issued = await auth.login(request.body, requestContext(request), deviceId);
      if (deviceId !== known) {
        reply.setCookie(cookieNames.device, deviceId, {
          ...baseCookieOptions,
          maxAge: DEVICE_COOKIE_MAX_AGE_SECONDS,
        });
      }
      setSessionCookies(reply, issued);
      reply.rotateCsrfBinding();
      return { user: issued.user };
    },
  );

  app.post(
    '/api/refresh',
    { config: { access: 'public' }, schema: { body: emptyBody } },
    async (request, reply) => {
      try {
        // The CSRF binding cookie tells the browser the successor went to from any other one.
        const issued = await auth.refresh(
          request.cookies[cookieNames.refresh],
          requestContext(request),
          request.cookies[cookieNames.csrf],
        );
        setSessionCookies(reply, issued);
        return { user: issued.user };
      } catch (error) {
        clearSessionCookies(reply);
        throw error;
      }
    },
  );

  app.post(
    '/api/logout',
    { config: { access: 'public' }, schema: { body: emptyBody } },
    async (request, reply) => {
      await auth.logout(
        request.cookies[cookieNames.access],
        request.cookies[cookieNames.refresh],
        requestContext(request),
      );
      clearSessionCookies(reply);
      reply.rotateCsrfBinding();
      return reply.code(204).send();
    },
  );
}

export const authModule: FeatureModule = {
  name: 'auth',
  register(app, context) {
    registerAuthRoutes(app, {
      auth: context.identity.auth,
      accessTokenTtlSeconds: context.config.accessTokenTtlSeconds,
    });
  },
};
