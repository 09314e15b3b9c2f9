import type { FastifyInstance } from 'fastify';
import type { FeatureModule } from '../feature-module.js';
import { sessionResponseSchema } from '@portcullis/contract/auth';
import { noContentSchema } from '@portcullis/contract/common';
import {
  changePasswordBodySchema,
  secureDataResponseSchema,
  updateProfileBodySchema,
  type ChangePasswordBody,
  type UpdateProfileBody,
} from '@portcullis/contract/profile';
import { AppError } from '../../lib/app-error.js';
import { setSessionCookies } from '../auth/session-cookies.js';
import { requestContext } from '../../lib/request-context.js';
import { requireAuth } from '../../plugins/access-control.js';
import type { AuthService } from '../auth/auth-service.js';
import type { SessionStateService } from '../auth/session-state.js';
import type { UserRepository } from '../users/user-repository.js';
import { principalToUser, toUser } from '../users/user-view.js';

export function registerProfileRoutes(
  app: FastifyInstance,
  deps: {
    users: UserRepository;
    auth: AuthService;
    sessionState: SessionStateService;
    passwordMinLength: number;
    accessTokenTtlSeconds: number;
  },
): void {
  // Served from the live session state the access check already loaded: no query on this hot path.
  // Every change to these fields invalidates that state (see PATCH below and the admin role change).
  app.get(
    '/api/profile',
    {
      config: { access: 'authenticated', allowWithoutSecondFactor: true },
      schema: { response: { 200: sessionResponseSchema } },
    },
    (request) => {
      const auth = requireAuth(request);
      return { user: principalToUser(auth) };
    },
  );

  // Guests are read-only: they may read their profile but not change it.
  app.patch<{ Body: UpdateProfileBody }>(
    '/api/profile',
    {
      config: { access: ['user', 'admin'] },
      schema: { body: updateProfileBodySchema, response: { 200: sessionResponseSchema } },
    },
    async (request) => {
      const { userId } = requireAuth(request);
      await deps.users.updateName(userId, request.body.name);
      await deps.sessionState.invalidateUser(userId);
      const user = await deps.users.findById(userId);
      if (user === undefined) throw new AppError('unauthenticated');
      return { user: toUser(user) };
    },
  );

  // Changing one's password is a security action every role keeps, guests included.
  app.post<{ Body: ChangePasswordBody }>(
    '/api/profile/password',
    {
      config: { access: 'authenticated' },
      schema: {
        body: changePasswordBodySchema(deps.passwordMinLength),
        response: { 204: noContentSchema },
      },
    },
    async (request, reply) => {
      const issued = await deps.auth.changePassword(
        requireAuth(request),
        request.body,
        requestContext(request),
      );
      // Re-authenticated: a new session and a new CSRF binding replace the old ones (ADR 013).
      setSessionCookies(reply, issued, deps.accessTokenTtlSeconds);
      reply.rotateCsrfBinding();
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/secure-data',
    {
      config: { access: 'authenticated' },
      schema: { response: { 200: secureDataResponseSchema } },
    },
    (request) => {
      const auth = requireAuth(request);
      return {
        message: `Only signed-in users can read this, ${auth.name}.`,
        userId: auth.userId,
        role: auth.role,
        serverTime: new Date().toISOString(),
      };
    },
  );
}

export const profileModule: FeatureModule = {
  name: 'profile',
  register(app, context) {
    registerProfileRoutes(app, {
      users: context.identity.users,
      auth: context.identity.auth,
      sessionState: context.identity.sessionState,
      passwordMinLength: context.config.passwordMinLength,
      accessTokenTtlSeconds: context.config.accessTokenTtlSeconds,
    });
  },
};
