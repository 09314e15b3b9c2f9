import type { FastifyInstance } from 'fastify';
import type { FeatureModule } from '../feature-module.js';
import {
  unlockUserBodySchema,
  updateUserRoleBodySchema,
  type UnlockUserBody,
  type UpdateUserRoleBody,
} from '@portcullis/contract/admin';
import {
  idParamsSchema,
  paginationQuerySchema,
  type PaginationQuery,
} from '@portcullis/contract/common';
import { requestContext } from '../../lib/request-context.js';
import { requireAuth } from '../../plugins/access-control.js';
import type { AuditService } from '../audit/audit-service.js';
import type { AdminService } from './admin-service.js';

const adminOnly = ['admin'] as const;

export function registerAdminRoutes(
  app: FastifyInstance,
  deps: { admin: AdminService; audit: AuditService },
): void {
  app.get<{ Querystring: PaginationQuery }>(
    '/api/admin/users',
    { config: { access: adminOnly }, schema: { querystring: paginationQuerySchema } },
    async (request) => {
      const page = await deps.admin.listUsers(request.query.limit, request.query.cursor);
      return { users: page.items, nextCursor: page.nextCursor };
    },
  );

  app.patch<{ Params: { id: string }; Body: UpdateUserRoleBody }>(
    '/api/admin/users/:id',
    {
      config: { access: adminOnly },
      schema: { params: idParamsSchema, body: updateUserRoleBodySchema },
    },
    async (request) => {
      const user = await deps.admin.changeRole(
        requireAuth(request),
        request.params.id,
        request.body.role,
        requestContext(request),
      );
      return { user };
    },
  );

  // An unsafe method, so the CSRF check applies like on every other change.
  app.post<{ Params: { id: string }; Body: UnlockUserBody }>(
    '/api/admin/users/:id/unlock',
    {
      config: { access: adminOnly },
      schema: { params: idParamsSchema, body: unlockUserBodySchema },
    },
    async (request, reply) => {
      await deps.admin.unlock(requireAuth(request), request.params.id, requestContext(request));
      return reply.code(204).send();
    },
  );

  app.get<{ Querystring: PaginationQuery }>(
    '/api/admin/audit',
    { config: { access: adminOnly }, schema: { querystring: paginationQuerySchema } },
    async (request) => {
      const page = await deps.audit.list(request.query.limit, request.query.cursor);
      return { events: page.items, nextCursor: page.nextCursor };
    },
  );
}

export const adminModule: FeatureModule = {
  name: 'admin',
  register(app, context) {
    registerAdminRoutes(app, { admin: context.identity.admin, audit: context.identity.audit });
  },
};
