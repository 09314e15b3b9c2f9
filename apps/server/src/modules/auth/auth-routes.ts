import type { FastifyInstance, FastifyReply } from 'fastify';
import type { FeatureModule } from '../feature-module.js';
import { z } from 'zod';
import {
  currentSessionResponseSchema,
  loginBodySchema,
  sessionResponseSchema,
  type LoginBody,
} from '@portcullis/contract/auth';
import { noContentSchema } from '@portcullis/contract/common';
import { requestContext } from '../../lib/request-context.js';
import { CLEAR_SITE_DATA_ON_LOGOUT, cookieNames, refreshCookieOf } from '../../plugins/cookies.js';
import { principalToUser } from '../users/user-view.js';
import type { IssuedSession } from '../identity/session-service.js';
import type { AuthService } from './auth-service.js';
import { signInResponseSchema } from '@portcullis/contract/second-factors';
import { PROVIDER_LOGOUT_HEADER } from '@portcullis/contract/federation';
import { answerSignIn, deviceIdOf } from './sign-in-answer.js';
import { clearSessionCookies, setSessionCookies } from './session-cookies.js';

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
    {
      config: { access: 'public' },
      schema: { body: loginBodySchema, response: { 200: signInResponseSchema } },
    },
    async (request, reply) => {
      const deviceId = deviceIdOf(request);
      const result = await auth.login(request.body, requestContext(request), deviceId);
      return answerSignIn(request, reply, result, deviceId, deps.accessTokenTtlSeconds);
    },
  );

  app.post(
    '/api/refresh',
    {
      config: { access: 'public' },
      schema: { body: emptyBody, response: { 200: sessionResponseSchema } },
    },
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
    {
      config: { access: 'public' },
      schema: { body: emptyBody, response: { 204: noContentSchema } },
    },
    async (request, reply) => {
      const ended = await auth.logout(
        request.cookies[cookieNames.access],
        refreshCookieOf(request),
        requestContext(request),
      );
      // The provider's session too (ADR 016): the web app navigates there after the 204.
      if (ended.providerLogoutUrl !== undefined) {
        reply.header(PROVIDER_LOGOUT_HEADER, ended.providerLogoutUrl);
      }
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
