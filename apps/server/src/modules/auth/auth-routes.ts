import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import {
  currentSessionResponseSchema,
  loginBodySchema,
  registerBodySchema,
  type LoginBody,
  type RegisterBody,
} from '@portcullis/contract/auth';
import { requestContext } from '../../lib/request-context.js';
import { baseCookieOptions, cookieNames } from '../../plugins/cookies.js';
import { toUser } from '../users/user-view.js';
import type { AuthService, IssuedSession } from './auth-service.js';

/** Endpoints that take no body still refuse one with unknown fields; a bodiless POST is `null`. */
const emptyBody = z.strictObject({}).nullish();

export function registerAuthRoutes(
  app: FastifyInstance,
  deps: { auth: AuthService; passwordMinLength: number; accessTokenTtlSeconds: number },
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

  app.post<{ Body: RegisterBody }>(
    '/api/register',
    { config: { access: 'public' }, schema: { body: registerBodySchema(deps.passwordMinLength) } },
    async (request, reply) => {
      const user = await auth.register(request.body, requestContext(request));
      return reply.code(201).send({ user });
    },
  );

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
        user:
          principal === null
            ? null
            : toUser({
                id: principal.userId,
                email: principal.email,
                name: principal.name,
                role: principal.role,
                created_at: principal.createdAt,
              }),
        canRefresh: request.cookies[cookieNames.refresh] !== undefined,
      };
    },
  );

  app.post<{ Body: LoginBody }>(
    '/api/login',
    { config: { access: 'public' }, schema: { body: loginBodySchema } },
    async (request, reply) => {
      const issued = await auth.login(request.body, requestContext(request));
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
