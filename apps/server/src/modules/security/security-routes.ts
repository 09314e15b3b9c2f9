import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  idParamsSchema,
  noContentSchema,
  paginationQuerySchema,
  type PaginationQuery,
} from '@portcullis/contract/common';
import {
  accountExportSchema,
  activityListResponseSchema,
  deleteAccountBodySchema,
  revokedSessionsResponseSchema,
  sessionListResponseSchema,
  type DeleteAccountBody,
} from '@portcullis/contract/security';
import { requestContext } from '../../lib/request-context.js';
import { requireAuth } from '../../plugins/access-control.js';
import { clearSessionCookies } from '../auth/session-cookies.js';
import type { FeatureModule } from '../feature-module.js';
import { NotesRepository } from '../notes/notes-repository.js';
import { NotesService } from '../notes/notes-service.js';
import { SecurityService } from './security-service.js';

const emptyBody = z.strictObject({}).nullish();

/** Guests may see and end their sessions, but export and deletion are for full accounts. */
const ownersOnly = ['user', 'admin'] as const;

export function registerSecurityRoutes(
  app: FastifyInstance,
  deps: { security: SecurityService },
): void {
  const { security } = deps;

  app.get(
    '/api/account/sessions',
    {
      config: { access: 'authenticated', allowUnverified: true },
      schema: { response: { 200: sessionListResponseSchema } },
    },
    async (request) => ({ sessions: await security.listSessions(requireAuth(request)) }),
  );

  // Ending sessions asks for a recent sign-in (ASVS 5.0 7.5.2): whoever holds a stolen session
  // must not be able to sign the owner out everywhere else and keep the account to themselves.
  app.delete<{ Params: { id: string } }>(
    '/api/account/sessions/:id',
    {
      config: { access: 'authenticated', allowUnverified: true, recentAuthentication: true },
      schema: { params: idParamsSchema, response: { 204: noContentSchema } },
    },
    async (request, reply) => {
      await security.revokeSession(
        requireAuth(request),
        request.params.id,
        requestContext(request),
      );
      return reply.code(204).send();
    },
  );

  app.post(
    '/api/account/sessions/revoke-others',
    {
      config: { access: 'authenticated', allowUnverified: true, recentAuthentication: true },
      schema: { body: emptyBody, response: { 200: revokedSessionsResponseSchema } },
    },
    async (request) => ({
      revoked: await security.revokeOtherSessions(requireAuth(request), requestContext(request)),
    }),
  );

  app.get<{ Querystring: PaginationQuery }>(
    '/api/account/activity',
    {
      config: { access: 'authenticated', allowUnverified: true },
      schema: { querystring: paginationQuerySchema, response: { 200: activityListResponseSchema } },
    },
    async (request) => {
      const page = await security.activity(
        requireAuth(request),
        request.query.limit,
        request.query.cursor,
      );
      return { events: page.items, nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/api/account/export',
    {
      config: { access: ownersOnly, allowUnverified: true, recentAuthentication: true },
      schema: { response: { 200: accountExportSchema } },
    },
    async (request, reply) => {
      const data = await security.export(requireAuth(request), requestContext(request));
      const day = data.exportedAt.slice(0, 10);
      return reply
        .header('content-disposition', `attachment; filename="portcullis-export-${day}.json"`)
        .send(data);
    },
  );

  app.delete<{ Body: DeleteAccountBody }>(
    '/api/account',
    {
      config: { access: ownersOnly, allowUnverified: true },
      schema: { body: deleteAccountBodySchema, response: { 204: noContentSchema } },
    },
    async (request, reply) => {
      await security.deleteAccount(requireAuth(request), request.body, requestContext(request));
      clearSessionCookies(reply);
      reply.rotateCsrfBinding();
      return reply.code(204).send();
    },
  );
}

export const securityModule: FeatureModule = {
  name: 'security',
  register(app, context) {
    const { identity } = context;
    registerSecurityRoutes(app, {
      security: new SecurityService({
        users: identity.users,
        sessions: identity.sessions,
        audit: identity.audit,
        auth: identity.auth,
        notes: new NotesService(new NotesRepository(context.db)),
        deletion: identity.deletion,
      }),
    });
  },
};
