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
import {
  baseCookieOptions,
  CLEAR_SITE_DATA_ON_LOGOUT,
  cookieNames,
  refreshCookieOf,
} from '../../plugins/cookies.js';
import { principalToUser } from '../users/user-view.js';
import type { IssuedSession } from '../identity/session-service.js';
import type { AuthService } from './auth-service.js';
import { clearSessionCookies, setSessionCookies } from './session-cookies.js';

/** Browsers cap cookie lifetimes at 400 days (RFC 6265bis). */
const DEVICE_COOKIE_MAX_AGE_SECONDS = 400 * 24 * 60 * 60;

/** Endpoints that take no body still refuse one with unknown fields; a bodiless POST is `null`. */
const emptyBody = z.strictObject({}).nullish();

export function registerAuthRoutes(
  app: FastifyInstance,
  deps: { auth: AuthService; accessTokenTtlSeconds: number },
): void {
  const { auth } = deps;

  const setCookies = (reply: FastifyReply, issued: IssuedSession) => {
    setSessionCookies(reply, issued, deps.accessTokenTtlSeconds);
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
        canRefresh: refreshCookieOf(request) !== undefined,
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
      setCookies(reply, issued);
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
          refreshCookieOf(request),
          requestContext(request),
          request.cookies[cookieNames.csrf],
        );
        setCookies(reply, issued);
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
        refreshCookieOf(request),
        requestContext(request),
      );
      clearSessionCookies(reply);
      reply.rotateCsrfBinding();
      // Whatever this browser cached or stored while signed in goes with the session.
      reply.header('clear-site-data', CLEAR_SITE_DATA_ON_LOGOUT);
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
