import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import {
  loginBodySchema,
  registerBodySchema,
  type LoginBody,
  type RegisterBody,
} from '@portcullis/contract/auth';
import { requestContext } from '../../lib/request-context.js';
import { baseCookieOptions, cookieNames } from '../../plugins/cookies.js';
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
        const issued = await auth.refresh(
          request.cookies[cookieNames.refresh],
          requestContext(request),
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
